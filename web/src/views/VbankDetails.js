// The virtual account the buyer must transfer to (issued by the PG through I'mport).
import { formatDateTime, formatWon } from "../format.js";

export default {
  props: {
    vbank: { type: Object, default: null },
    amount: { type: Number, required: true },
  },
  setup() {
    return { formatDateTime, formatWon };
  },
  template: `
    <dl v-if="vbank" class="facts vbank" data-testid="vbank">
      <dt>Bank</dt><dd data-testid="vbank-bank">{{ vbank.bank }}</dd>
      <dt>Account number</dt><dd data-testid="vbank-number">{{ vbank.number }}</dd>
      <dt>Account holder</dt><dd data-testid="vbank-holder">{{ vbank.holder }}</dd>
      <dt>Amount</dt><dd data-testid="vbank-amount">{{ formatWon(amount) }}</dd>
      <dt>Due</dt><dd data-testid="vbank-due">{{ formatDateTime(vbank.due) }}</dd>
    </dl>
    <p v-else class="muted">The bank account details are on their way; check again in a moment.</p>`,
};
