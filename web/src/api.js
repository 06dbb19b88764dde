// The checkout API, one function per endpoint. Errors always surface as ApiError with the server's
// {"error": {"code", "message"}} so views can show them next to what caused them.
import { getToken, signOut } from "./auth.js";
import { settings } from "./settings.js";

// Creating an order or reconciling a payment makes the server call I'mport. API Gateway gives up on
// an integration after 30 s, so waiting a little longer than that never cuts off a live answer.
const REQUEST_TIMEOUT_MS = 35000;

export class ApiError extends Error {
  constructor(status, code, message, retryAfterSeconds = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  // Safe to retry with the same Idempotency-Key: the server never saw it, or is still working on it.
  get retryable() {
    return this.status === 0 || this.status >= 500 || this.code === "request_in_progress";
  }
}

export function newIdempotencyKey() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  // Non-secure origins lack randomUUID; build an RFC 4122 v4 UUID from getRandomValues instead.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

async function request(method, path, { body, auth = true, idempotencyKey } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (idempotencyKey) headers["Idempotency-Key"] = idempotencyKey;
  if (auth) {
    const token = await getToken();
    if (!token) throw new ApiError(401, "unauthorized", "Please sign in first.");
    headers.Authorization = `Bearer ${token}`;
  }
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
  let response;
  try {
    response = await fetch(`${settings().apiBaseUrl}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: controller.signal,
    });
  } catch (error) {
    const message = error.name === "AbortError"
      ? "The shop server did not answer in time. Please try again."
      : "Cannot reach the shop server. Check your connection and try again.";
    throw new ApiError(0, "network", message);
  } finally {
    clearTimeout(timer);
  }
  const payload = await response.json().catch(() => null);
  if (!response.ok) {
    const error = payload?.error ?? {};
    if (response.status === 401 && auth) signOut();
    const retryAfter = Number(response.headers.get("Retry-After")) || null;
    throw new ApiError(
      response.status,
      error.code ?? "http_error",
      error.message ?? `The shop server answered HTTP ${response.status}.`,
      retryAfter,
    );
  }
  if (payload === null) throw new ApiError(response.status, "bad_response", "The shop server sent an unreadable answer.");
  return payload;
}

const segment = encodeURIComponent;

export const api = {
  listProducts: () => request("GET", "/products", { auth: false }),
  getCart: () => request("GET", "/cart"),
  setCartQuantity: (productId, quantity) =>
    request("PUT", `/cart/items/${segment(productId)}`, { body: { quantity } }),
  removeCartItem: (productId) => request("DELETE", `/cart/items/${segment(productId)}`),
  // The balance, and one page of the ledger (newest first); `next_cursor` asks for the older ones.
  getPoints: (limit, cursor) => {
    const query = new URLSearchParams();
    if (limit) query.set("limit", String(limit));
    if (cursor) query.set("cursor", cursor);
    const text = query.toString();
    return request("GET", text ? `/points?${text}` : "/points");
  },
  createOrder: (order, idempotencyKey) => request("POST", "/orders", { body: order, idempotencyKey }),
  // The buyer's own report (signed in): only the owner may have a failed attempt end the order.
  completePayment: (impUid, merchantUid) =>
    request("POST", "/payments/complete", { body: { imp_uid: impUid, merchant_uid: merchantUid } }),
  // Give up an unpaid order: stock, points and cart come back (a payment that went through wins).
  cancelOrder: (merchantUid) => request("POST", `/orders/${segment(merchantUid)}/cancel`),
  listOrders: (limit, cursor) => {
    const query = new URLSearchParams({ limit: String(limit) });
    if (cursor) query.set("cursor", cursor);
    return request("GET", `/orders?${query}`);
  },
  getOrder: (merchantUid) => request("GET", `/orders/${segment(merchantUid)}`),
  refund: (merchantUid, refund, idempotencyKey) =>
    request("POST", `/orders/${segment(merchantUid)}/refund`, { body: refund, idempotencyKey }),
};

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// A 409 request_in_progress means our own earlier attempt with this key is still running on the
// server: wait as told and ask again with the same key, which returns that attempt's result.
export async function waitWhileInProgress(call, attempts = 4) {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof ApiError) || error.code !== "request_in_progress" || attempt >= attempts) throw error;
      await sleep(Math.min(error.retryAfterSeconds ?? 1, 5) * 1000);
    }
  }
}
