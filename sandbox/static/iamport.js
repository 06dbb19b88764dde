/*
 * I'mport (PortOne V1) sandbox: a stand-in for https://cdn.iamport.kr/v1/iamport.js.
 * Defines window.IMP with init(code), agency(code, tier) and request_pay(params, callback).
 * request_pay shows an overlay that plays the PG payment window; no real money ever moves.
 * The sandbox's address is taken from this script's own URL, so the page may live on any origin.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var SANDBOX = script && script.src ? new URL(script.src).origin : window.location.origin;
  var merchantCode = null;
  var tierCode = null;

  function post(path, body) {
    return fetch(SANDBOX + path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body || {}),
      keepalive: true
    }).then(function (res) {
      return res.json().then(function (data) {
        if (!res.ok) {
          var err = new Error(data.error_msg || ("sandbox answered HTTP " + res.status));
          err.code = data.error_code || "SANDBOX_ERROR";
          throw err;
        }
        return data;
      });
    });
  }

  function failure(params, code, msg) {
    // The sandbox could not be reached: the window never opened (no payment, imp_uid null).
    return { imp_uid: null, merchant_uid: params.merchant_uid || null, error_code: code, error_msg: msg };
  }

  // Hand the result to the page: a redirect in redirect mode (callback not called), else the callback.
  function deliver(impUid, rsp, redirectUrl, callback, resolve) {
    var ack = impUid ? post("/sandbox/window/" + encodeURIComponent(impUid) + "/delivered") : Promise.resolve();
    return ack.catch(function () { return null; }).then(function () {
      if (redirectUrl) {
        window.location.href = redirectUrl;
        return;
      }
      resolve(rsp);
      if (typeof callback === "function") callback(rsp);
    });
  }

  var STYLE = [
    "#imp-sandbox-overlay{position:fixed;inset:0;background:rgba(15,23,42,.55);z-index:2147483647;",
    "display:flex;align-items:center;justify-content:center;font:15px/1.5 system-ui,sans-serif}",
    "#imp-sandbox-overlay .imp-box{background:#fff;color:#111;border-radius:10px;width:min(420px,92vw);",
    "box-shadow:0 10px 40px rgba(0,0,0,.35);overflow:hidden}",
    "#imp-sandbox-overlay header{background:#f59e0b;color:#111;padding:12px 16px;font-weight:700}",
    "#imp-sandbox-overlay header small{display:block;font-weight:400}",
    "#imp-sandbox-overlay dl{margin:0;padding:12px 16px;display:grid;grid-template-columns:auto 1fr;gap:4px 12px}",
    "#imp-sandbox-overlay dt{color:#555}#imp-sandbox-overlay dd{margin:0;word-break:break-all}",
    "#imp-sandbox-overlay .imp-actions{display:grid;gap:8px;padding:12px 16px 16px}",
    "#imp-sandbox-overlay button{padding:10px;border-radius:6px;border:1px solid #ccc;cursor:pointer;font:inherit}",
    "#imp-sandbox-overlay button[data-testid=imp-pay]{background:#2563eb;color:#fff;border-color:#2563eb}",
    "#imp-sandbox-overlay button:disabled{opacity:.5;cursor:wait}"
  ].join("");

  function text(tag, content, attrs) {
    var el = document.createElement(tag);
    if (content != null) el.textContent = content;
    Object.keys(attrs || {}).forEach(function (k) { el.setAttribute(k, attrs[k]); });
    return el;
  }

  function showWindow(payment, onChoice) {
    var overlay = text("div", null, {
      id: "imp-sandbox-overlay", role: "dialog", "aria-modal": "true",
      "aria-label": "I'mport sandbox payment window", "data-testid": "imp-sandbox-window"
    });
    var box = text("div", null, { "class": "imp-box" });
    var header = text("header", "I'mport 샌드박스 결제창 (I'mport sandbox)");
    header.appendChild(text("small", "테스트 결제입니다. 실제로 돈이 빠져나가지 않습니다. (Test payment: no real money moves.)"));
    box.appendChild(header);
    var details = text("dl");
    [["가맹점 (Merchant)", payment.merchant_code], ["주문명 (Order)", payment.name || "-"],
     ["주문번호 (merchant_uid)", payment.merchant_uid],
     ["금액 (Amount)", Number(payment.amount).toLocaleString("ko-KR") + " " + payment.currency],
     ["결제수단 (Method)", payment.pay_method]].forEach(function (row) {
      details.appendChild(text("dt", row[0]));
      details.appendChild(text("dd", row[1]));
    });
    box.appendChild(details);
    var actions = text("div", null, { "class": "imp-actions" });
    var buttons = [
      ["pay", "카드 결제 (Pay by card)"], ["vbank", "가상계좌 발급 (Issue virtual account)"],
      ["fail", "결제 실패 (Fail)"], ["close", "닫기 (Close)"]
    ].map(function (spec) {
      var button = text("button", spec[1], { type: "button", "data-testid": "imp-" + spec[0] });
      button.addEventListener("click", function () {
        buttons.forEach(function (b) { b.disabled = true; });
        onChoice(spec[0], function () { overlay.remove(); });
      });
      actions.appendChild(button);
      return button;
    });
    box.appendChild(actions);
    var style = text("style", STYLE);
    overlay.appendChild(style);
    overlay.appendChild(box);
    document.body.appendChild(overlay);
  }

  // PC or mobile, decided as the real SDK does: by the browser's user agent. On PC the window is a
  // popup/iframe and the result goes to the callback even when m_redirect_url is set; on a phone the
  // page is replaced and the result arrives only through m_redirect_url. Tests may force either with
  // IMP.sandbox.mode = "pc" | "mobile".
  var MOBILE_UA = /Mobi|Android|iPhone|iPad|iPod|Windows Phone|webOS|BlackBerry/i;
  function windowMode() {
    var forced = window.IMP && window.IMP.sandbox && window.IMP.sandbox.mode;
    if (forced === "pc" || forced === "mobile") return forced;
    return MOBILE_UA.test(navigator.userAgent || "") ? "mobile" : "pc";
  }

  function request_pay(params, callback) {
    params = params || {};
    return new Promise(function (resolve) {
      var mode = windowMode();
      var redirectMode = !!params.m_redirect_url && mode === "mobile";
      function report(rsp, impUid, redirectUrl) {
        return deliver(impUid, rsp, redirectMode ? redirectUrl : null, callback, resolve);
      }
      function networkFailure(err) {
        var rsp = failure(params, err.code || "SANDBOX_UNREACHABLE", "I'mport sandbox: " + err.message);
        resolve(rsp);
        if (typeof callback === "function") callback(rsp);
      }
      post("/sandbox/window/open", {
        merchant_code: merchantCode, tier: tierCode, params: params, mode: mode
      }).then(function (opened) {
        if (!opened.opened) {
          // Pre-registration mismatch, unknown merchant...: the window never opens, imp_uid is null.
          return report(opened.rsp, null, opened.redirect_url);
        }
        showWindow(opened.payment, function (action, close) {
          post("/sandbox/window/" + encodeURIComponent(opened.imp_uid) + "/finish", { action: action })
            .then(function (done) {
              close();
              return report(done.rsp, opened.imp_uid, done.redirect_url);
            })
            .catch(function (err) { close(); networkFailure(err); });
        });
      }).catch(networkFailure);
    });
  }

  window.IMP = {
    init: function (code) { merchantCode = code; tierCode = null; },
    agency: function (code, tier) { merchantCode = code; tierCode = tier || null; },
    request_pay: request_pay,
    // Not part of the real SDK: which sandbox the page talks to, and an override of the PC/mobile
    // decision (null: the user agent decides).
    sandbox: { url: SANDBOX, mode: null }
  };
})();
