// Checkout: buyer details, points, pay method -> POST /orders -> I'mport's payment window -> result.
import { computed, nextTick, onMounted, reactive, ref, watch } from "../../vendor/vue.esm-browser.prod.js";
import { ApiError, api, newIdempotencyKey, waitWhileInProgress } from "../api.js";
import { identity } from "../auth.js";
import { useAction } from "../action.js";
import { formatPoints, formatWon } from "../format.js";
import { paymentWindowFailed, requestPay } from "../iamport.js";
import { navigate, resultPath, RouterLink } from "../router.js";
import { rememberAttempt, setCart } from "../store.js";
import BuyerFields, { BUYER_FIELDS } from "./BuyerFields.js";
import SignInPrompt from "./SignInPrompt.js";

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const TEL = /^[0-9+\-() ]{8,16}$/;
const POSTCODE = /^[0-9A-Za-z\- ]*$/;

function validate(form, maxPoints) {
  const errors = {};
  if (!form.buyer.name.trim()) errors.name = "Enter the buyer's name.";
  if (!EMAIL.test(form.buyer.email.trim())) errors.email = "Enter an email address like name@example.com.";
  if (!TEL.test(form.buyer.tel.trim())) errors.tel = "Enter a phone number, e.g. 010-1234-5678.";
  if (!POSTCODE.test(form.buyer.postcode.trim())) errors.postcode = "A postcode has only letters, digits and dashes.";
  for (const field of BUYER_FIELDS) {
    if (!errors[field.key] && form.buyer[field.key].trim().length > field.maxlength) {
      errors[field.key] = `At most ${field.maxlength} characters.`;
    }
  }
  const points = form.points;
  if (!Number.isInteger(points) || points < 0) errors.points = "Points must be a whole number, 0 or more.";
  else if (points > maxPoints) errors.points = `You can use at most ${formatPoints(maxPoints)} on this order.`;
  return errors;
}

// Server errors go next to the field that caused them; anything else next to the submit button.
function fieldOf(error) {
  if (error.code === "insufficient_points") return "points";
  if (error.code === "out_of_stock") return "summary";
  if (error.code === "validation_failed" || error.code === "bad_request") {
    const text = error.message.toLowerCase();
    for (const field of ["email", "tel", "postcode", "addr", "name"]) if (text.includes(field)) return field;
    if (text.includes("point")) return "points";
  }
  return null;
}

export default {
  components: { BuyerFields, RouterLink, SignInPrompt },
  setup() {
    const cart = reactive({ items: [], total: 0, loaded: false });
    const balance = reactive({ available: 0, held: 0, loaded: false });
    const form = reactive({
      buyer: { name: "", email: "", tel: "", addr: "", postcode: "" },
      points: 0,
      payMethod: "card",
    });
    const fieldErrors = reactive({});
    const phase = ref("form");
    const loading = useAction();
    const placing = useAction();
    // One key per intended order: kept across retries of the same submission (the server answers a
    // replay with the first result), dropped once the order exists or the form changes.
    let idempotencyKey = null;

    const maxPoints = computed(() => Math.max(0, Math.min(balance.available, cart.total)));
    const amountToPay = computed(() => {
      const points = Number.isInteger(form.points) ? Math.min(Math.max(form.points, 0), maxPoints.value) : 0;
      return cart.total - points;
    });

    const load = () => loading.run(async () => {
      if (!identity.token) return;
      // Only the balance is shown here: the smallest page of the ledger comes with it.
      const [nextCart, points] = await Promise.all([api.getCart(), api.getPoints(1)]);
      Object.assign(cart, { items: nextCart.items, total: nextCart.total, loaded: true });
      Object.assign(balance, { available: points.available, held: points.held, loaded: true });
      setCart(nextCart);
    });

    // Keyboard and screen-reader users land on the first field that needs fixing.
    const focusFirstInvalid = () => nextTick(() => document.querySelector("form.checkout [aria-invalid='true']")?.focus());

    const pay = async (order, payment) => {
      phase.value = "paying";
      // Remembered before the window opens: on a phone the window leaves this page for good (I'mport
      // redirects to the result page), which then offers to pay again with these same parameters.
      rememberAttempt(order.merchant_uid, { imp_uid: null, error_msg: null, payment });
      const rsp = await requestPay(payment);
      const failed = paymentWindowFailed(rsp);
      const attempt = {
        imp_uid: rsp.imp_uid ?? null,
        error_msg: failed ? rsp.error_msg || "The payment was not completed." : null,
        // Kept so the result page can open the window again for an order that is still open.
        payment,
      };
      // Even a failed window is reported when I'mport made a payment record, so the server re-queries
      // it and gives the stock, points and cart back now instead of at expiry.
      if (rsp.imp_uid) {
        try {
          await api.completePayment(rsp.imp_uid, order.merchant_uid);
        } catch (error) {
          attempt.complete_error = error.message;
        }
      }
      rememberAttempt(order.merchant_uid, attempt);
      navigate(resultPath(order.merchant_uid));
    };

    const placeOrder = () => placing.run(async () => {
      for (const key of Object.keys(fieldErrors)) delete fieldErrors[key];
      Object.assign(fieldErrors, validate(form, maxPoints.value));
      if (Object.keys(fieldErrors).length) {
        focusFirstInvalid();
        throw new Error("Please correct the fields marked above.");
      }
      const buyer = Object.fromEntries(
        Object.entries(form.buyer).map(([k, v]) => [k, v.trim()]).filter(([, v]) => v !== ""),
      );
      const body = { buyer, points_to_use: form.points, pay_method: form.payMethod };
      idempotencyKey ??= newIdempotencyKey();
      let created;
      try {
        created = await waitWhileInProgress(() => api.createOrder(body, idempotencyKey));
      } catch (error) {
        if (!(error instanceof ApiError && error.retryable)) idempotencyKey = null;
        const field = fieldOf(error);
        if (field) {
          fieldErrors[field] = error.message;
          focusFirstInvalid();
          throw new Error("The order was not placed: see the message above.");
        }
        throw error;
      }
      idempotencyKey = null;
      setCart({ items: [] });
      const { order, payment } = created;
      // Fully paid with points: the order is already paid and there is nothing for I'mport to charge.
      if (order.status === "paid" || order.amount === 0) {
        navigate(resultPath(order.merchant_uid));
        return;
      }
      try {
        await pay(order, payment);
      } catch (error) {
        phase.value = "form";
        // The window could not open (the SDK failed to load, the network dropped): the order is still
        // open, so the result page offers "Try again" with the same parameters, or "Cancel order".
        rememberAttempt(order.merchant_uid, { imp_uid: null, error_msg: error.message, payment });
        navigate(resultPath(order.merchant_uid));
      }
    });

    watch(form, () => { idempotencyKey = null; }, { deep: true });
    onMounted(load);
    watch(() => identity.token, load);

    const useAllPoints = () => { form.points = maxPoints.value; };
    return {
      identity, cart, balance, form, fieldErrors, phase, loading: loading.state, placing: placing.state,
      maxPoints, amountToPay, placeOrder, useAllPoints, formatWon, formatPoints,
    };
  },
  template: `
    <section aria-labelledby="checkout-title">
      <h1 id="checkout-title">Checkout</h1>
      <SignInPrompt v-if="!identity.token" what="checkout" />
      <template v-else>
        <p v-if="loading.error" role="alert" class="error" data-testid="checkout-load-error">{{ loading.error }}</p>
        <p v-if="cart.loaded && cart.items.length === 0 && phase === 'form'" data-testid="checkout-empty">
          Your cart is empty. <RouterLink to="/">Browse products</RouterLink>
        </p>
        <form v-else-if="cart.loaded" class="checkout" novalidate @submit.prevent="placeOrder" :aria-busy="placing.busy">
          <section aria-labelledby="summary-title" class="panel" data-testid="checkout-summary">
            <h2 id="summary-title">Order summary</h2>
            <ul class="plain">
              <li v-for="item in cart.items" :key="item.product_id">
                {{ item.name }} × {{ item.quantity }} — {{ formatWon(item.line_total) }}
              </li>
            </ul>
            <p>Total: <strong data-testid="checkout-total">{{ formatWon(cart.total) }}</strong></p>
            <p v-if="fieldErrors.summary" role="alert" class="error" data-testid="checkout-summary-error">
              {{ fieldErrors.summary }} <RouterLink to="/cart">Review your cart</RouterLink>
            </p>
          </section>

          <BuyerFields :buyer="form.buyer" :errors="fieldErrors" />

          <fieldset class="panel">
            <legend>Points</legend>
            <p data-testid="points-balance">Available: <strong data-testid="points-available">{{ formatPoints(balance.available) }}</strong>
              <span v-if="balance.held" class="muted"> ({{ formatPoints(balance.held) }} held by unpaid orders)</span></p>
            <label for="points-to-use">Points to use</label>
            <div class="inline-form">
              <input id="points-to-use" type="number" min="0" :max="maxPoints" step="1" inputmode="numeric"
                     v-model.number="form.points" data-testid="points-to-use"
                     :aria-invalid="fieldErrors.points ? 'true' : null" aria-describedby="points-error">
              <button type="button" class="secondary" @click="useAllPoints" data-testid="points-use-all">Use all I can</button>
            </div>
            <p v-if="fieldErrors.points" id="points-error" role="alert" class="error" data-testid="points-error">{{ fieldErrors.points }}</p>
          </fieldset>

          <fieldset class="panel">
            <legend>Pay with</legend>
            <label class="choice"><input type="radio" name="pay-method" value="card" v-model="form.payMethod"
                   data-testid="pay-method-card"> Card</label>
            <label class="choice"><input type="radio" name="pay-method" value="vbank" v-model="form.payMethod"
                   data-testid="pay-method-vbank"> Virtual account (bank transfer)</label>
          </fieldset>

          <p class="amount">To pay: <strong data-testid="checkout-amount">{{ formatWon(amountToPay) }}</strong></p>
          <button type="submit" :disabled="placing.busy" :aria-busy="placing.busy" data-testid="place-order"
                  aria-describedby="place-order-error">
            {{ phase === 'paying' ? 'Waiting for the payment window…' : placing.busy ? 'Placing your order…' : 'Place order and pay' }}
          </button>
          <p v-if="placing.error" id="place-order-error" role="alert" class="error" data-testid="place-order-error">{{ placing.error }}</p>
        </form>
      </template>
    </section>`,
};
