// The site's whole configuration. Hosting: replace the placeholders before uploading (see README.md).
// In development the local site server serves a generated /config.js instead of this file.
window.CHECKOUT_CONFIG = {
  // Base URL of the checkout API (API Gateway HTTP API stage URL or a custom domain), without a trailing slash.
  apiBaseUrl: "https://api.example.com",
  // I'mport merchant identification code (가맹점 식별코드) from the PortOne console, passed to IMP.init().
  merchantCode: "imp00000000",
  // I'mport's V1 browser SDK. Production uses PortOne's CDN; development uses the local sandbox's shim.
  impScriptUrl: "https://cdn.iamport.kr/v1/iamport.js",
  // Development only: endpoint that issues a token for any subject. Must stay null in production;
  // production tokens come from the shop's identity provider through getToken() in src/auth.js.
  devTokenUrl: null,
};
