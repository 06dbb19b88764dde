// Refund banks for virtual-account refunds. I'mport forwards refund_bank to the PG unchanged and the
// codes are PG-specific (reference: PortOne "PG-specific bank codes"); these are the KFTC two-digit
// codes KG Inicis (html5_inicis, the default PG) uses. A shop on another PG replaces this list.
export const REFUND_BANKS = Object.freeze([
  { code: "04", name: "KB Kookmin Bank (KB국민은행)" },
  { code: "88", name: "Shinhan Bank (신한은행)" },
  { code: "20", name: "Woori Bank (우리은행)" },
  { code: "81", name: "Hana Bank (하나은행)" },
  { code: "11", name: "NH NongHyup Bank (NH농협은행)" },
  { code: "03", name: "IBK Industrial Bank (IBK기업은행)" },
  { code: "90", name: "KakaoBank (카카오뱅크)" },
  { code: "89", name: "K bank (케이뱅크)" },
  { code: "92", name: "Toss Bank (토스뱅크)" },
  { code: "23", name: "SC First Bank (SC제일은행)" },
  { code: "27", name: "Citibank Korea (한국씨티은행)" },
  { code: "32", name: "Busan Bank (부산은행)" },
  { code: "31", name: "iM Bank (Daegu) (대구은행)" },
  { code: "39", name: "Kyongnam Bank (경남은행)" },
  { code: "34", name: "Gwangju Bank (광주은행)" },
  { code: "37", name: "Jeonbuk Bank (전북은행)" },
  { code: "35", name: "Jeju Bank (제주은행)" },
  { code: "07", name: "Suhyup Bank (수협은행)" },
  { code: "71", name: "Korea Post (우체국)" },
  { code: "45", name: "MG Saemaul Geumgo (새마을금고)" },
  { code: "48", name: "Shinhyup (신협)" },
  { code: "02", name: "KDB Korea Development Bank (KDB산업은행)" },
]);
