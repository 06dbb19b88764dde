// /result?merchant_uid=...: where the payment window's callback and I'mport's mobile redirect (via
// the API's GET /payments/complete) both land. It shows the order as the server stored it: the
// status in the URL is only a hint and is never trusted.
import { computed, onMounted, reactive, ref, watch } from "../../vendor/vue.esm-browser.prod.js";
import { api, ApiError } from "../api.js";
import { identity } from "../auth.js";
import { useAction } from "../action.js";
import { amountLabel, formatDateTime, formatPoints, formatWon, payMethodLabel, statusLabel } from "../format.js";
import { route, RouterLink } from "../router.js";
import { paymentWindowFailed, requestPay } from "../iamport.js";
import { recallAttempt, rememberAttempt } from "../store.js";
import SignInPrompt from "./SignInPrompt.js";
import VbankDetails from "./VbankDetails.js";

export default {
  components: { RouterLink, SignInPrompt, VbankDetails },
  setup() {
    const view = reactive({ order: null });
    const loading = useAction();
    const merchantUid = computed(() => route.query.merchant_uid ?? "");
    // What the payment window said about the latest attempt (kept in sessionStorage by the checkout page
    // and by "Try again"): a ref, so a new attempt shows at once.
    const attempt = ref(null);
    const recall = () => { attempt.value = merchantUid.value ? recallAttempt(merchantUid.value) : null; };

    const load = () => loading.run(async () => {
      recall();
      view.order = null;
      if (!merchantUid.value) throw new Error("This page needs an order number (merchant_uid).");
      if (!identity.token) return;
      view.order = (await api.getOrder(merchantUid.value)).order;
    });

    // "Check again" asks the server to re-query I'mport when the window reported a payment id, so a
    // result lost on the way (network drop) is still recorded; otherwise it just re-reads the order.
    const checkAgain = () => loading.run(async () => {
      const impUid = attempt.value?.imp_uid ?? view.order?.imp_uid;
      view.order = impUid
        ? (await api.completePayment(impUid, merchantUid.value)).order
        : (await api.getOrder(merchantUid.value)).order;
    });

    // The order is still open (a closed window, a failure reported without the buyer's token): pay again
    // with the same order number, or give it up now instead of waiting for it to expire.
    const tryAgain = () => loading.run(async () => {
      const payment = attempt.value?.payment;
      if (!payment) throw new Error("Open the order from your orders page to pay again.");
      // The previous attempt's messages go: this one is new.
      attempt.value = { imp_uid: null, error_msg: null, payment };
      const rsp = await requestPay(payment);
      const next = {
        imp_uid: rsp.imp_uid ?? null,
        error_msg: paymentWindowFailed(rsp) ? rsp.error_msg || "The payment was not completed." : null,
        payment,
      };
      rememberAttempt(merchantUid.value, next);
      attempt.value = next;
      view.order = rsp.imp_uid
        ? (await api.completePayment(rsp.imp_uid, merchantUid.value)).order
        : (await api.getOrder(merchantUid.value)).order;
    });
    // A 409 means the order moved on meanwhile (e.g. the payment went through in another tab): show it
    // as it is now; the refusal stays on screen only while the order is still open.
    const cancelOrder = () => loading.run(async () => {
      try {
        view.order = (await api.cancelOrder(merchantUid.value)).order;
      } catch (error) {
        if (!(error instanceof ApiError && error.status === 409)) throw error;
        view.order = (await api.getOrder(merchantUid.value)).order;
        if (["ready", "awaiting_deposit"].includes(view.order.status)) throw error;
      }
    });

    const settled = computed(() => ["paid", "partially_cancelled", "cancelled"].includes(view.order?.status));
    const failureMessage = computed(() =>
      attempt.value?.error_msg || view.order?.failure_reason || "The payment did not go through.");

    onMounted(load);
    watch([merchantUid, () => identity.token], load);
    return {
      amountLabel, identity, view, loading: loading.state, merchantUid, attempt, settled, failureMessage, checkAgain,
      tryAgain, cancelOrder,
      formatDateTime, formatPoints, formatWon, payMethodLabel, statusLabel,
    };
  },
  template: `
    <section aria-labelledby="result-title" data-testid="result">
      <h1 id="result-title">Payment result</h1>
      <SignInPrompt v-if="!identity.token && merchantUid" what="this order" />
      <p v-if="loading.error" role="alert" class="error" data-testid="result-error">{{ loading.error }}</p>
      <p v-if="loading.busy && !view.order" aria-live="polite">Checking your payment…</p>
      <article v-if="view.order" class="panel" :aria-busy="loading.busy" :data-status="view.order.status">
        <h2 data-testid="result-status" :class="'status status-' + view.order.status">{{ statusLabel(view.order.status) }}</h2>
        <dl class="facts">
          <dt>Order number</dt><dd data-testid="result-merchant-uid">{{ view.order.merchant_uid }}</dd>
          <template v-if="view.order.imp_uid"><dt>Payment id</dt><dd data-testid="result-imp-uid">{{ view.order.imp_uid }}</dd></template>
          <dt>Total</dt><dd data-testid="result-total">{{ formatWon(view.order.total) }}</dd>
          <template v-if="view.order.points_used"><dt>Points used</dt>
            <dd data-testid="result-points-used">{{ formatPoints(view.order.points_used) }}</dd></template>
          <dt>{{ amountLabel(view.order.status) }}</dt><dd data-testid="result-amount">{{ formatWon(view.order.amount) }}</dd>
          <template v-if="view.order.pay_method"><dt>Method</dt><dd>{{ payMethodLabel(view.order.pay_method) }}</dd></template>
          <template v-if="settled"><dt>Points earned</dt>
            <dd data-testid="result-points-earned">{{ formatPoints(view.order.points_earned) }}</dd></template>
          <template v-if="view.order.paid_at"><dt>Paid at</dt><dd>{{ formatDateTime(view.order.paid_at) }}</dd></template>
        </dl>

        <p v-if="view.order.status === 'paid'" class="ok" data-testid="result-message">Thank you: your payment is complete.</p>

        <template v-else-if="view.order.status === 'failed'">
          <p role="alert" class="error" data-testid="result-failure">{{ failureMessage }}</p>
          <p>Nothing was charged; your items are back in your <RouterLink to="/cart">cart</RouterLink>.</p>
        </template>

        <template v-else-if="view.order.status === 'awaiting_deposit'">
          <p data-testid="result-message">Transfer the amount due to this account before the due date.</p>
          <VbankDetails :vbank="view.order.vbank" :amount="view.order.amount" />
          <div class="actions">
            <button type="button" class="secondary" :disabled="loading.busy" @click="cancelOrder"
                    data-testid="result-cancel">Cancel order</button>
          </div>
        </template>

        <template v-else-if="view.order.status === 'ready'">
          <p data-testid="result-message">Payment not completed.</p>
          <p v-if="attempt && attempt.error_msg" role="alert" class="error" data-testid="result-failure">{{ attempt.error_msg }}</p>
          <p class="muted">Your items stay reserved until {{ formatDateTime(view.order.expires_at) }};
            if the order is not paid by then they go back to your cart.</p>
          <div class="actions">
            <button v-if="attempt && attempt.payment" type="button" :disabled="loading.busy" @click="tryAgain"
                    data-testid="result-try-again">Try again</button>
            <button type="button" class="secondary" :disabled="loading.busy" @click="cancelOrder"
                    data-testid="result-cancel">Cancel order</button>
          </div>
        </template>

        <p v-else-if="view.order.status === 'expired'" data-testid="result-message">
          This order expired before it was paid; its items went back to your <RouterLink to="/cart">cart</RouterLink>.</p>

        <p v-else data-testid="result-message">This order has been refunded. See <RouterLink to="/orders">your orders</RouterLink>.</p>

        <p v-if="attempt && attempt.complete_error" role="alert" class="error" data-testid="result-complete-error">
          We could not confirm the payment with the shop yet: {{ attempt.complete_error }}</p>

        <div class="actions">
          <button v-if="['ready', 'awaiting_deposit'].includes(view.order.status)" type="button" class="secondary"
                  :disabled="loading.busy" :aria-busy="loading.busy" @click="checkAgain" data-testid="result-refresh">Check again</button>
          <RouterLink to="/orders">Your orders</RouterLink>
          <RouterLink to="/">Continue shopping</RouterLink>
        </div>
      </article>
    </section>`,
};
