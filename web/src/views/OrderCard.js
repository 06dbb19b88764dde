// One order in the history: lines with what was refunded, the virtual account, refunds, and the
// refund form while the order still has something to refund.
import { computed, ref } from "../../vendor/vue.esm-browser.prod.js";
import { amountLabel, formatDateTime, formatPoints, formatWon, payMethodLabel, statusLabel } from "../format.js";
import { resultPath, RouterLink } from "../router.js";
import RefundForm from "./RefundForm.js";
import VbankDetails from "./VbankDetails.js";

export default {
  components: { RefundForm, RouterLink, VbankDetails },
  props: { order: { type: Object, required: true } },
  emits: ["updated"],
  setup(props, { emit }) {
    const refunding = ref(false);
    const refundable = computed(() => ["paid", "partially_cancelled"].includes(props.order.status));
    const refunded = (order) => {
      refunding.value = false;
      emit("updated", order);
    };
    return { amountLabel, refunding, refundable, refunded, resultPath, formatDateTime, formatPoints, formatWon, payMethodLabel, statusLabel };
  },
  template: `
    <article class="card order" :data-testid="'order-' + order.merchant_uid" :data-status="order.status">
      <header class="order-head">
        <h2><RouterLink :to="resultPath(order.merchant_uid)">{{ order.merchant_uid }}</RouterLink></h2>
        <span :class="'status status-' + order.status" data-testid="order-status">{{ statusLabel(order.status) }}</span>
      </header>
      <p class="muted">{{ formatDateTime(order.created_at) }}<span v-if="order.pay_method"> · {{ payMethodLabel(order.pay_method) }}</span></p>
      <table class="lines">
        <caption class="visually-hidden">Items in order {{ order.merchant_uid }}</caption>
        <thead><tr><th scope="col">Item</th><th scope="col">Price</th><th scope="col">Quantity</th><th scope="col">Refunded</th></tr></thead>
        <tbody>
          <tr v-for="line in order.lines" :key="line.product_id" :data-testid="'order-line-' + line.product_id">
            <th scope="row">{{ line.name }}</th><td>{{ formatWon(line.price) }}</td><td>{{ line.quantity }}</td>
            <td :data-testid="'order-line-refunded-' + line.product_id">{{ line.refunded_quantity }}</td>
          </tr>
        </tbody>
      </table>
      <dl class="facts">
        <dt>Total</dt><dd data-testid="order-total">{{ formatWon(order.total) }}</dd>
        <template v-if="order.points_used"><dt>Points used</dt><dd>{{ formatPoints(order.points_used) }}</dd></template>
        <dt>{{ amountLabel(order.status) }}</dt><dd data-testid="order-amount">{{ formatWon(order.amount) }}</dd>
        <template v-if="order.points_earned"><dt>Points earned</dt><dd>{{ formatPoints(order.points_earned) }}</dd></template>
        <template v-if="order.failure_reason"><dt>Why it failed</dt><dd>{{ order.failure_reason }}</dd></template>
      </dl>
      <VbankDetails v-if="order.status === 'awaiting_deposit'" :vbank="order.vbank" :amount="order.amount" />
      <section v-if="order.refunds && order.refunds.length" class="refunds">
        <h3>Refunds</h3>
        <ul class="plain">
          <li v-for="refund in order.refunds" :key="refund.id" data-testid="order-refund">
            {{ formatDateTime(refund.at) }}: {{ formatWon(refund.amount) }} refunded<span v-if="refund.points">,
            {{ formatPoints(refund.points) }} returned</span>
          </li>
        </ul>
      </section>
      <button v-if="refundable && !refunding" type="button" class="secondary" data-testid="refund-open"
              @click="refunding = true">Refund…</button>
      <RefundForm v-if="refundable && refunding" :order="order" @refunded="refunded" @cancel="refunding = false" />
    </article>`,
};
