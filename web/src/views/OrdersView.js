// Order history, newest first, a page at a time.
import { onMounted, reactive, watch } from "../../vendor/vue.esm-browser.prod.js";
import { api } from "../api.js";
import { identity } from "../auth.js";
import { useAction } from "../action.js";
import { RouterLink } from "../router.js";
import OrderCard from "./OrderCard.js";
import SignInPrompt from "./SignInPrompt.js";

const PAGE_SIZE = 10;

export default {
  components: { OrderCard, RouterLink, SignInPrompt },
  setup() {
    const history = reactive({ orders: [], cursor: null, loaded: false });
    const loading = useAction();

    const load = () => loading.run(async () => {
      history.orders = [];
      history.cursor = null;
      history.loaded = false;
      if (!identity.token) return;
      const page = await api.listOrders(PAGE_SIZE, null);
      history.orders = page.orders;
      history.cursor = page.next_cursor;
      history.loaded = true;
    });

    const more = () => loading.run(async () => {
      const page = await api.listOrders(PAGE_SIZE, history.cursor);
      history.orders.push(...page.orders);
      history.cursor = page.next_cursor;
    });

    const replace = (order) => {
      const index = history.orders.findIndex((o) => o.merchant_uid === order.merchant_uid);
      if (index >= 0) history.orders[index] = order;
    };

    onMounted(load);
    watch(() => identity.token, load);
    return { identity, history, loading: loading.state, more, replace };
  },
  template: `
    <section aria-labelledby="orders-title">
      <h1 id="orders-title">Your orders</h1>
      <SignInPrompt v-if="!identity.token" what="your orders" />
      <template v-else>
        <p><RouterLink to="/points">Your points and their history</RouterLink></p>
        <p v-if="history.loaded && history.orders.length === 0" data-testid="orders-empty">No orders yet.</p>
        <div class="stack" :aria-busy="loading.busy" data-testid="order-list">
          <OrderCard v-for="order in history.orders" :key="order.merchant_uid" :order="order" @updated="replace" />
        </div>
        <p v-if="loading.error" role="alert" class="error" data-testid="orders-error">{{ loading.error }}</p>
        <button v-if="history.cursor" type="button" class="secondary" :disabled="loading.busy" :aria-busy="loading.busy"
                data-testid="orders-more" @click="more">Show older orders</button>
      </template>
    </section>`,
};
