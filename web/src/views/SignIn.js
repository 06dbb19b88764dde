// The header's identity box: in development a "sign in as" form; in production the shop's own
// identity provider signs the buyer in and src/auth.js hands its token to the API calls.
import { ref } from "../../vendor/vue.esm-browser.prod.js";
import { canSignInForDevelopment, identity, signInForDevelopment, signOut } from "../auth.js";
import { useAction } from "../action.js";

export default {
  setup() {
    const subject = ref("");
    const { state, run } = useAction();
    const submit = () => run(async () => {
      const sub = subject.value.trim();
      if (!sub) throw new Error("Enter a user id to sign in as.");
      await signInForDevelopment(sub);
      subject.value = "";
    });
    return { identity, subject, state, submit, signOut, devSignIn: canSignInForDevelopment() };
  },
  template: `
    <div class="identity">
      <template v-if="identity.token">
        <span data-testid="signed-in-as">Signed in as <strong>{{ identity.subject || "buyer" }}</strong></span>
        <button type="button" class="link" data-testid="sign-out" @click="signOut">Sign out</button>
      </template>
      <form v-else-if="devSignIn" class="inline-form" @submit.prevent="submit" :aria-busy="state.busy">
        <label for="dev-subject">Sign in as (development)</label>
        <input id="dev-subject" v-model="subject" autocomplete="username" data-testid="sign-in-subject"
               :aria-invalid="state.error ? 'true' : null" aria-describedby="dev-subject-error">
        <button type="submit" :disabled="state.busy" data-testid="sign-in-submit">Sign in</button>
        <p v-if="state.error" id="dev-subject-error" role="alert" class="error" data-testid="sign-in-error">{{ state.error }}</p>
      </form>
      <span v-else data-testid="signed-out">Please sign in with your shop account.</span>
    </div>`,
};
