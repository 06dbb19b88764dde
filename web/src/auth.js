// Who the buyer is. Every API call asks getToken() for the bearer token; nothing else reads tokens.
//
// Production: the shop plugs in its own identity provider HERE. Replace the body of getToken() so it
// returns a fresh JWT that the API's JWT authorizer accepts (e.g. with Amazon Cognito and Amplify:
// `(await fetchAuthSession()).tokens?.idToken?.toString()`), and call setToken()/signOut() from the
// provider's sign-in and sign-out flows so the page knows whether someone is signed in.
//
// Development: config.devTokenUrl points at the local site server's token endpoint, which signs a
// token for any subject ("sign in as"). The token lives in sessionStorage, so it survives the
// payment window's redirect (same tab) but not closing the tab.
import { reactive } from "../vendor/vue.esm-browser.prod.js";
import { settings } from "./settings.js";

const STORAGE_KEY = "checkout.token";
const DEV_TOKEN_TIMEOUT_MS = 10000;

function subjectOf(token) {
  // Only to greet the buyer by id; the API verifies the signature, the page never trusts this.
  try {
    const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(payload)).sub ?? null;
  } catch {
    return null;
  }
}

function readStoredToken() {
  try {
    return sessionStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

const initialToken = readStoredToken();

export const identity = reactive({
  token: initialToken,
  subject: initialToken ? subjectOf(initialToken) : null,
});

export async function getToken() {
  return identity.token;
}

export function setToken(token) {
  identity.token = token;
  identity.subject = subjectOf(token);
  try {
    sessionStorage.setItem(STORAGE_KEY, token);
  } catch {
    // Private browsing can refuse storage: the session still works until the page reloads.
  }
}

export function signOut() {
  identity.token = null;
  identity.subject = null;
  try {
    sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // Nothing stored, nothing to remove.
  }
}

export function canSignInForDevelopment() {
  return settings().devTokenUrl !== null;
}

export async function signInForDevelopment(subject) {
  const url = settings().devTokenUrl;
  if (url === null) throw new Error("Development sign-in is disabled in this configuration.");
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), DEV_TOKEN_TIMEOUT_MS);
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ sub: subject, admin: false }),
      signal: controller.signal,
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok || typeof body.token !== "string") {
      throw new Error(body?.error?.message || `Sign-in failed (HTTP ${response.status}).`);
    }
    setToken(body.token);
  } catch (error) {
    if (error.name === "AbortError") throw new Error("The sign-in server did not answer in time.");
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
