// History-API routing over a handful of flat paths. Flat paths matter: the API redirects the mobile
// payment flow to SITE_URL/result?merchant_uid=..., and the host serves index.html for any path.
import { reactive } from "../vendor/vue.esm-browser.prod.js";

function readLocation() {
  return {
    path: window.location.pathname.replace(/\/+$/, "") || "/",
    query: Object.fromEntries(new URLSearchParams(window.location.search)),
  };
}

export const route = reactive(readLocation());

function sync() {
  Object.assign(route, readLocation());
}

export function navigate(to, { replace = false } = {}) {
  if (replace) window.history.replaceState({}, "", to);
  else window.history.pushState({}, "", to);
  sync();
  window.scrollTo(0, 0);
}

window.addEventListener("popstate", sync);

export function resultPath(merchantUid) {
  return `/result?${new URLSearchParams({ merchant_uid: merchantUid })}`;
}

export const RouterLink = {
  props: { to: { type: String, required: true } },
  setup(props) {
    const follow = (event) => {
      // Let the browser handle new-tab and modified clicks itself.
      if (event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
      event.preventDefault();
      navigate(props.to);
    };
    const current = () => route.path === props.to.split("?")[0];
    return { follow, current };
  },
  template: `<a :href="to" @click="follow" :aria-current="current() ? 'page' : null"><slot /></a>`,
};
