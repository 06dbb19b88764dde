// State several views share: the cart badge, and what the payment window said about each attempt.
import { reactive } from "../vendor/vue.esm-browser.prod.js";

export const cartBadge = reactive({ count: null });

export function setCart(cart) {
  cartBadge.count = (cart?.items ?? []).reduce((sum, item) => sum + item.quantity, 0);
}

// The result page shows I'mport's own message for a failed or closed window. It is kept per order in
// sessionStorage (not in the URL) so a crafted link cannot put words in the shop's mouth.
const ATTEMPT_PREFIX = "checkout.attempt.";

export function rememberAttempt(merchantUid, attempt) {
  try {
    sessionStorage.setItem(ATTEMPT_PREFIX + merchantUid, JSON.stringify(attempt));
  } catch {
    // Storage refused: the result page falls back to the order's own failure reason.
  }
}

export function recallAttempt(merchantUid) {
  try {
    return JSON.parse(sessionStorage.getItem(ATTEMPT_PREFIX + merchantUid)) ?? null;
  } catch {
    return null;
  }
}
