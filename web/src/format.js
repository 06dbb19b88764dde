// Display formats. Money is integer KRW end to end: formatting never divides or rounds.
const won = new Intl.NumberFormat("ko-KR", { style: "currency", currency: "KRW" });
const count = new Intl.NumberFormat("ko-KR");
// 24-hour numeric dates (2025. 06. 01. 14:05) read the same in Korean and English and need no AM/PM word.
const dateTime = new Intl.DateTimeFormat("ko-KR", {
  year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
});

export function formatWon(amount) {
  return won.format(amount ?? 0);
}

export function formatPoints(points) {
  return `${count.format(points ?? 0)} P`;
}

export function formatDateTime(value) {
  if (value === null || value === undefined || value === "") return "";
  // The API sends ISO-8601; a bare number would be I'mport-style unix seconds.
  const date = typeof value === "number" ? new Date(value * 1000) : new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : dateTime.format(date);
}

export const STATUS_LABELS = Object.freeze({
  ready: "Payment not completed",
  awaiting_deposit: "Awaiting deposit",
  paid: "Paid",
  partially_cancelled: "Partially refunded",
  cancelled: "Refunded",
  failed: "Payment failed",
  expired: "Expired",
});

export function statusLabel(status) {
  return STATUS_LABELS[status] ?? status;
}

export const PAY_METHOD_LABELS = Object.freeze({
  card: "Card",
  vbank: "Virtual account (bank transfer)",
  trans: "Real-time bank transfer",
  phone: "Mobile phone",
  point: "Points only",
});

export function payMethodLabel(method) {
  return PAY_METHOD_LABELS[method] ?? method ?? "";
}

export const LEDGER_LABELS = Object.freeze({
  earn: "Earned",
  use: "Used",
  hold: "Held for an order",
  release: "Hold released",
  refund_use: "Returned by a refund",
  clawback: "Earned points taken back",
  grant: "Granted by the shop",
});

// Kinds whose merchant_uid names an order (a grant's names the promotion instead).
export const ORDER_LEDGER_KINDS = Object.freeze(["earn", "use", "hold", "release", "refund_use", "clawback"]);

export function amountLabel(status) {
  if (["paid", "partially_cancelled", "cancelled"].includes(status)) return "Amount paid";
  if (["ready", "awaiting_deposit"].includes(status)) return "Amount due";
  return "Amount";
}
