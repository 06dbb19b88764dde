// The cart: change quantities, remove lines, go to checkout.
import { onMounted, reactive, watch } from "../../vendor/vue.esm-browser.prod.js";
import { api } from "../api.js";
import { identity } from "../auth.js";
import { useAction } from "../action.js";
import { formatWon } from "../format.js";
import { navigate, RouterLink } from "../router.js";
import { setCart } from "../store.js";
import SignInPrompt from "./SignInPrompt.js";

const MAX_QUANTITY = 99; // the API's per-line limit

export default {
  components: { RouterLink, SignInPrompt },
  setup() {
    const cart = reactive({ items: [], total: 0, loaded: false });
    const drafts = reactive({});
    const lines = reactive({});
    const loading = useAction();

    const show = (next) => {
      cart.items = next.items;
      cart.total = next.total;
      cart.loaded = true;
      for (const item of next.items) {
        drafts[item.product_id] = item.quantity;
        if (!lines[item.product_id]) lines[item.product_id] = useAction();
      }
      setCart(next);
    };

    const load = () => loading.run(async () => {
      if (identity.token) show(await api.getCart());
    });

    const update = (item) => lines[item.product_id].run(async () => {
      const quantity = Number(drafts[item.product_id]);
      if (!Number.isInteger(quantity) || quantity < 1 || quantity > MAX_QUANTITY) {
        throw new Error(`Enter a whole number from 1 to ${MAX_QUANTITY}, or remove the item.`);
      }
      show(await api.setCartQuantity(item.product_id, quantity));
    });

    const remove = (item) => lines[item.product_id].run(async () => {
      show(await api.removeCartItem(item.product_id));
    });

    onMounted(load);
    watch(() => identity.token, load);
    return { cart, drafts, lines, loading: loading.state, identity, update, remove, formatWon, navigate };
  },
  template: `
    <section aria-labelledby="cart-title">
      <h1 id="cart-title">Your cart</h1>
      <SignInPrompt v-if="!identity.token" what="your cart" />
      <template v-else>
        <p v-if="loading.error" role="alert" class="error" data-testid="cart-error">{{ loading.error }}</p>
        <p v-if="cart.loaded && cart.items.length === 0" data-testid="cart-empty">
          Your cart is empty. <RouterLink to="/">Browse products</RouterLink>
        </p>
        <table v-if="cart.items.length" class="lines" :aria-busy="loading.busy" data-testid="cart-lines">
          <caption class="visually-hidden">Items in your cart</caption>
          <thead><tr><th scope="col">Item</th><th scope="col">Price</th><th scope="col">Quantity</th>
            <th scope="col">Line total</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
          <tbody>
            <tr v-for="item in cart.items" :key="item.product_id" :data-testid="'cart-line-' + item.product_id">
              <th scope="row">{{ item.name }}</th>
              <td>{{ formatWon(item.price) }}</td>
              <td>
                <form class="inline-form" novalidate @submit.prevent="update(item)" :aria-busy="lines[item.product_id].state.busy">
                  <label :for="'qty-' + item.product_id" class="visually-hidden">Quantity of {{ item.name }}</label>
                  <input :id="'qty-' + item.product_id" type="number" min="1" max="99" step="1" inputmode="numeric"
                         v-model.number="drafts[item.product_id]" :data-testid="'cart-qty-' + item.product_id"
                         :aria-invalid="lines[item.product_id].state.error ? 'true' : null"
                         :aria-describedby="'line-error-' + item.product_id" class="qty">
                  <button type="submit" :disabled="lines[item.product_id].state.busy"
                          :data-testid="'cart-update-' + item.product_id">Update</button>
                </form>
                <p v-if="lines[item.product_id].state.error" :id="'line-error-' + item.product_id" role="alert"
                   class="error" :data-testid="'cart-line-error-' + item.product_id">{{ lines[item.product_id].state.error }}</p>
              </td>
              <td :data-testid="'cart-line-total-' + item.product_id">{{ formatWon(item.line_total) }}</td>
              <td>
                <button type="button" class="secondary" :disabled="lines[item.product_id].state.busy"
                        :aria-busy="lines[item.product_id].state.busy" :data-testid="'cart-remove-' + item.product_id"
                        @click="remove(item)">Remove<span class="visually-hidden"> {{ item.name }}</span></button>
              </td>
            </tr>
          </tbody>
          <tfoot><tr><th scope="row" colspan="3">Total</th>
            <td data-testid="cart-total">{{ formatWon(cart.total) }}</td><td></td></tr></tfoot>
        </table>
        <button v-if="cart.items.length" type="button" data-testid="go-to-checkout"
                @click="navigate('/checkout')">Proceed to checkout</button>
      </template>
    </section>`,
};
