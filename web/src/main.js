// The shop's checkout: a Vue 3 app with no build step (Vue is vendored under /vendor).
import { computed, createApp } from "../vendor/vue.esm-browser.prod.js";
import { loadSettings } from "./settings.js";
import { route, RouterLink } from "./router.js";
import { cartBadge } from "./store.js";
import CartView from "./views/CartView.js";
import CheckoutView from "./views/CheckoutView.js";
import OrdersView from "./views/OrdersView.js";
import PointsView from "./views/PointsView.js";
import ProductsView from "./views/ProductsView.js";
import ResultView from "./views/ResultView.js";
import SignIn from "./views/SignIn.js";

const ROUTES = {
  "/": ProductsView,
  "/cart": CartView,
  "/checkout": CheckoutView,
  "/result": ResultView,
  "/orders": OrdersView,
  "/points": PointsView,
};

const NotFound = {
  components: { RouterLink },
  template: `<section><h1>Page not found</h1><p><RouterLink to="/">Back to the products</RouterLink></p></section>`,
};

const App = {
  components: { RouterLink, SignIn },
  setup() {
    const view = computed(() => ROUTES[route.path] ?? NotFound);
    return { view, route, cartBadge };
  },
  template: `
    <a class="skip" href="#main">Skip to content</a>
    <header class="site">
      <nav aria-label="Shop">
        <RouterLink to="/" data-testid="nav-products">Products</RouterLink>
        <RouterLink to="/cart" data-testid="nav-cart">Cart<span v-if="cartBadge.count" class="badge"
          data-testid="cart-count"> ({{ cartBadge.count }})</span></RouterLink>
        <RouterLink to="/orders" data-testid="nav-orders">Orders</RouterLink>
        <RouterLink to="/points" data-testid="nav-points">Points</RouterLink>
      </nav>
      <SignIn />
    </header>
    <main id="main" tabindex="-1">
      <component :is="view" :key="route.path" />
    </main>`,
};

function showFatal(message) {
  const root = document.getElementById("app");
  root.textContent = "";
  const p = document.createElement("p");
  p.setAttribute("role", "alert");
  p.className = "error";
  p.dataset.testid = "config-error";
  p.textContent = `The checkout cannot start: ${message}`;
  root.appendChild(p);
}

try {
  loadSettings();
  createApp(App).mount("#app");
} catch (error) {
  showFatal(error.message);
}
