// Shown in place of a page that needs a buyer when nobody is signed in.
export default {
  props: { what: { type: String, required: true } },
  template: `<p class="notice" data-testid="sign-in-required">Sign in to see {{ what }}.</p>`,
};
