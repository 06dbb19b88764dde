// Points: what can be spent, what unpaid orders hold, and every move in the ledger, newest first,
// a page at a time.
import { onMounted, reactive, watch } from "../../vendor/vue.esm-browser.prod.js";
import { api } from "../api.js";
import { identity } from "../auth.js";
import { useAction } from "../action.js";
import { formatDateTime, formatPoints, LEDGER_LABELS, ORDER_LEDGER_KINDS } from "../format.js";
import { resultPath, RouterLink } from "../router.js";
import SignInPrompt from "./SignInPrompt.js";

const PAGE_SIZE = 20;

export default {
  components: { RouterLink, SignInPrompt },
  setup() {
    const points = reactive({ available: 0, held: 0, ledger: [], cursor: null, loaded: false });
    const loading = useAction();
    const load = () => loading.run(async () => {
      Object.assign(points, { ledger: [], cursor: null, loaded: false });
      if (!identity.token) return;
      const page = await api.getPoints(PAGE_SIZE, null);
      Object.assign(points, { available: page.available, held: page.held, ledger: page.ledger, cursor: page.next_cursor, loaded: true });
    });
    // Older entries: the balance comes back too, so it stays current.
    const more = () => loading.run(async () => {
      const page = await api.getPoints(PAGE_SIZE, points.cursor);
      points.ledger.push(...page.ledger);
      Object.assign(points, { available: page.available, held: page.held, cursor: page.next_cursor });
    });
    onMounted(load);
    watch(() => identity.token, load);
    const kindLabel = (kind) => LEDGER_LABELS[kind] ?? kind;
    return { orderKinds: ORDER_LEDGER_KINDS, identity, points, loading: loading.state, more, kindLabel, formatDateTime, formatPoints, resultPath };
  },
  template: `
    <section aria-labelledby="points-title">
      <h1 id="points-title">Your points</h1>
      <SignInPrompt v-if="!identity.token" what="your points" />
      <template v-else>
        <p v-if="loading.error" role="alert" class="error" data-testid="points-error">{{ loading.error }}</p>
        <dl v-if="points.loaded" class="facts" :aria-busy="loading.busy">
          <dt>Available</dt><dd data-testid="points-available" :class="{ error: points.available < 0 }">{{ formatPoints(points.available) }}</dd>
          <dt>Held by unpaid orders</dt><dd data-testid="points-held">{{ formatPoints(points.held) }}</dd>
        </dl>
        <p v-if="points.available < 0" class="muted">Your balance is below zero because points earned on a
          refunded order were taken back after you had spent them.</p>
        <table v-if="points.ledger.length" class="lines" data-testid="points-ledger">
          <caption>History</caption>
          <thead><tr><th scope="col">When</th><th scope="col">What</th><th scope="col">Points</th><th scope="col">Order</th></tr></thead>
          <tbody>
            <tr v-for="(entry, index) in points.ledger" :key="index" data-testid="ledger-entry" :data-kind="entry.kind">
              <td>{{ formatDateTime(entry.at) }}</td><td>{{ kindLabel(entry.kind) }}</td>
              <td data-testid="ledger-points">{{ formatPoints(entry.points) }}</td>
              <td><RouterLink v-if="entry.merchant_uid && orderKinds.includes(entry.kind)" :to="resultPath(entry.merchant_uid)">{{ entry.merchant_uid }}</RouterLink>
                <span v-else>{{ entry.merchant_uid }}</span></td>
            </tr>
          </tbody>
        </table>
        <p v-else-if="points.loaded" data-testid="ledger-empty">No points activity yet.</p>
        <button v-if="points.cursor" type="button" class="secondary" :disabled="loading.busy" :aria-busy="loading.busy"
                data-testid="points-more" @click="more">Show older activity (더 보기)</button>
      </template>
    </section>`,
};
