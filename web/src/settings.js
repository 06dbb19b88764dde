// Reads window.CHECKOUT_CONFIG (set by /config.js) once, and fails loudly when it is unusable:
// a checkout that silently talks to the wrong API or loads no payment SDK is worse than no page.

function required(config, key) {
  const value = config[key];
  if (typeof value !== "string" || value.trim() === "") {
    throw new Error(`CHECKOUT_CONFIG.${key} is missing: set it in config.js`);
  }
  return value.trim();
}

export function loadSettings(config = window.CHECKOUT_CONFIG) {
  if (!config || typeof config !== "object") {
    throw new Error("CHECKOUT_CONFIG is not defined: /config.js did not load");
  }
  return Object.freeze({
    apiBaseUrl: required(config, "apiBaseUrl").replace(/\/+$/, ""),
    merchantCode: required(config, "merchantCode"),
    impScriptUrl: required(config, "impScriptUrl"),
    devTokenUrl: typeof config.devTokenUrl === "string" && config.devTokenUrl ? config.devTokenUrl : null,
  });
}

let cached = null;

export function settings() {
  if (cached === null) cached = loadSettings();
  return cached;
}
