// I'mport's V1 browser SDK (window.IMP): loaded on demand from config.impScriptUrl, initialised once.
import { settings } from "./settings.js";

const SCRIPT_TIMEOUT_MS = 15000;

let loading = null;

function loadScript(url) {
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    const timer = setTimeout(() => {
      script.remove();
      reject(new Error("The payment window could not be loaded in time. Please try again."));
    }, SCRIPT_TIMEOUT_MS);
    script.src = url;
    script.async = true;
    script.onload = () => {
      clearTimeout(timer);
      if (window.IMP) resolve(window.IMP);
      else reject(new Error("The payment window script loaded but did not start."));
    };
    script.onerror = () => {
      clearTimeout(timer);
      script.remove();
      reject(new Error("The payment window could not be loaded. Please try again."));
    };
    document.head.appendChild(script);
  });
}

async function loadIamport() {
  if (loading === null) {
    loading = (window.IMP ? Promise.resolve(window.IMP) : loadScript(settings().impScriptUrl))
      .then((IMP) => {
        // I'mport: call IMP.init only once per page (docs/iamport-v1.md#sdk-init).
        IMP.init(settings().merchantCode);
        return IMP;
      })
      .catch((error) => {
        loading = null;
        throw error;
      });
  }
  return loading;
}

// The rsp says the window did not end in a payment: closed, declined, or refused before the PG.
// success/imp_success are deprecated and must not decide anything (docs/iamport-v1.md#callback-rsp).
export function paymentWindowFailed(rsp) {
  return rsp.error_code != null || Boolean(rsp.error_msg);
}

// Opens the payment window with the params the API returned for the order, m_redirect_url included
// as every PG guide passes it: the SDK decides. On a PC it resolves with I'mport's rsp (the callback);
// on a phone the browser leaves for m_redirect_url and it never resolves
// (docs/iamport-v1.md#request-pay).
export async function requestPay(payment) {
  const IMP = await loadIamport();
  const params = { ...payment };
  return new Promise((resolve) => {
    IMP.request_pay(params, (rsp) => resolve(rsp ?? {}));
  });
}
