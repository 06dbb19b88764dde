// One request's visible state: busy while in flight (buttons disabled, aria-busy), then its error.
import { reactive } from "../vendor/vue.esm-browser.prod.js";

export function useAction() {
  const state = reactive({ busy: false, error: null, errorCode: null });
  async function run(work) {
    if (state.busy) return undefined;
    state.busy = true;
    state.error = null;
    state.errorCode = null;
    try {
      return await work();
    } catch (error) {
      state.error = error.message || "Something went wrong. Please try again.";
      state.errorCode = error.code ?? null;
      return undefined;
    } finally {
      state.busy = false;
    }
  }
  return { state, run };
}
