// The catalogue: price and live stock, and "add to cart" (one more of the item per click).
import { onMounted, reactive, watch } from "../../vendor/vue.esm-browser.prod.js";
import { api } from "../api.js";
import { identity } from "../auth.js";
import { useAction } from "../action.js";
import { formatWon } from "../format.js";
import { setCart } from "../store.js";

export default {
  setup() {
    const catalogue = reactive({ products: [], loaded: false });
    const inCart = reactive({});
    const perProduct = reactive({});
    const loading = useAction();

    const actionFor = (productId) => {
      if (!perProduct[productId]) perProduct[productId] = { ...useAction(), added: null };
      return perProduct[productId];
    };

    const syncCart = (cart) => {
      for (const key of Object.keys(inCart)) delete inCart[key];
      for (const item of cart.items) inCart[item.product_id] = item.quantity;
      setCart(cart);
    };

    const load = () => loading.run(async () => {
      const [{ products }, cart] = await Promise.all([
        api.listProducts(),
        identity.token ? api.getCart() : Promise.resolve(null),
      ]);
      for (const product of products) actionFor(product.product_id);
      catalogue.products = products;
      catalogue.loaded = true;
      if (cart) syncCart(cart);
    });

    const add = (product) => {
      const action = actionFor(product.product_id);
      action.added = null;
      return action.run(async () => {
        if (!identity.token) throw new Error("Sign in to add items to your cart.");
        const quantity = (inCart[product.product_id] ?? 0) + 1;
        const cart = await api.setCartQuantity(product.product_id, quantity);
        syncCart(cart);
        action.added = `Added: ${inCart[product.product_id] ?? quantity} in your cart.`;
      });
    };

    onMounted(load);
    watch(() => identity.token, load);
    return { catalogue, loading: loading.state, add, actionFor, inCart, formatWon };
  },
  template: `
    <section aria-labelledby="products-title">
      <h1 id="products-title">Products</h1>
      <p v-if="loading.error" role="alert" class="error" data-testid="products-error">{{ loading.error }}</p>
      <p v-if="loading.busy && !catalogue.loaded" aria-live="polite">Loading products…</p>
      <ul class="grid" :aria-busy="loading.busy" data-testid="product-list">
        <li v-for="product in catalogue.products" :key="product.product_id" class="card"
            :data-testid="'product-' + product.product_id">
          <h2>{{ product.name }}</h2>
          <p class="price" :data-testid="'product-price-' + product.product_id">{{ formatWon(product.price) }}</p>
          <p :data-testid="'product-stock-' + product.product_id" :class="{ muted: product.stock === 0 }">
            {{ product.stock > 0 ? 'In stock: ' + product.stock : 'Sold out' }}
          </p>
          <button type="button" :disabled="actionFor(product.product_id).state.busy || product.stock === 0"
                  :aria-busy="actionFor(product.product_id).state.busy"
                  :aria-describedby="'product-msg-' + product.product_id"
                  :data-testid="'add-to-cart-' + product.product_id" @click="add(product)">
            Add to cart<span class="visually-hidden">: {{ product.name }}</span>
          </button>
          <div :id="'product-msg-' + product.product_id">
            <p v-if="actionFor(product.product_id).state.error" role="alert" class="error"
               :data-testid="'product-error-' + product.product_id">{{ actionFor(product.product_id).state.error }}</p>
            <p v-else-if="actionFor(product.product_id).added" role="status" class="ok"
               :data-testid="'product-added-' + product.product_id">{{ actionFor(product.product_id).added }}</p>
          </div>
        </li>
      </ul>
      <p v-if="catalogue.loaded && catalogue.products.length === 0" data-testid="products-empty">No products yet.</p>
    </section>`,
};
