// Refund an order: everything that is left, or chosen quantities per line. Paid virtual-account
// orders need the buyer's own bank account, because I'mport refunds them by bank transfer.
import { computed, reactive, watch } from "../../vendor/vue.esm-browser.prod.js";
import { ApiError, api, newIdempotencyKey, waitWhileInProgress } from "../api.js";
import { useAction } from "../action.js";
import { REFUND_BANKS } from "../banks.js";

export default {
  props: { order: { type: Object, required: true } },
  emits: ["refunded", "cancel"],
  setup(props, { emit }) {
    const uid = props.order.merchant_uid;
    const remaining = (line) => line.quantity - line.refunded_quantity;
    const form = reactive({
      reason: "",
      scope: "all",
      quantities: Object.fromEntries(props.order.lines.map((line) => [line.product_id, 0])),
      account: { holder: "", bank: "", number: "" },
    });
    const errors = reactive({});
    const action = useAction();
    let idempotencyKey = null;

    const needsAccount = computed(() => props.order.pay_method === "vbank" && props.order.amount > 0);
    const refundableLines = computed(() => props.order.lines.filter((line) => remaining(line) > 0));

    const validate = () => {
      for (const key of Object.keys(errors)) delete errors[key];
      if (!form.reason.trim()) errors.reason = "Say why the order is refunded.";
      if (form.scope === "lines") {
        for (const line of refundableLines.value) {
          const q = form.quantities[line.product_id];
          if (!Number.isInteger(q) || q < 0 || q > remaining(line)) {
            errors[`line-${line.product_id}`] = `Choose 0 to ${remaining(line)}.`;
          }
        }
        if (!refundableLines.value.some((line) => form.quantities[line.product_id] > 0)) {
          errors.lines = "Choose at least one item to refund.";
        }
      }
      if (needsAccount.value) {
        const holder = form.account.holder.trim();
        if (!holder) errors.holder = "Enter the account holder's name.";
        else if (holder.length > 16) errors.holder = "At most 16 characters (the bank's limit).";
        if (!form.account.bank) errors.bank = "Choose the bank.";
        if (!/^[0-9-]{6,32}$/.test(form.account.number.trim())) errors.number = "Enter the account number (digits and dashes).";
      }
      return Object.keys(errors).length === 0;
    };

    const submit = () => action.run(async () => {
      if (!validate()) throw new Error("Please correct the fields marked above.");
      const refund = { reason: form.reason.trim() };
      if (form.scope === "lines") {
        refund.lines = refundableLines.value
          .filter((line) => form.quantities[line.product_id] > 0)
          .map((line) => ({ product_id: line.product_id, quantity: form.quantities[line.product_id] }));
      }
      if (needsAccount.value) {
        refund.refund_account = {
          holder: form.account.holder.trim(),
          bank: form.account.bank,
          number: form.account.number.trim(),
        };
      }
      idempotencyKey ??= newIdempotencyKey();
      try {
        const { order } = await waitWhileInProgress(() => api.refund(uid, refund, idempotencyKey));
        idempotencyKey = null;
        emit("refunded", order);
      } catch (error) {
        if (!(error instanceof ApiError && error.retryable)) idempotencyKey = null;
        if (error.code === "refund_account_required") {
          errors.account = error.message;
          throw new Error("The refund was not made: see the bank account above.");
        }
        throw error;
      }
    });

    watch(form, () => { idempotencyKey = null; }, { deep: true });
    return { form, errors, action: action.state, needsAccount, refundableLines, remaining, submit, banks: REFUND_BANKS, uid, emit };
  },
  template: `
    <form class="refund panel" novalidate @submit.prevent="submit" :aria-busy="action.busy" :data-testid="'refund-form-' + uid">
      <h3>Refund</h3>
      <div class="field">
        <label :for="'refund-reason-' + uid">Reason</label>
        <input :id="'refund-reason-' + uid" v-model="form.reason" data-testid="refund-reason"
               :aria-invalid="errors.reason ? 'true' : null" :aria-describedby="'refund-reason-error-' + uid">
        <p v-if="errors.reason" :id="'refund-reason-error-' + uid" role="alert" class="error">{{ errors.reason }}</p>
      </div>
      <fieldset>
        <legend>What to refund</legend>
        <label class="choice"><input type="radio" value="all" v-model="form.scope" data-testid="refund-scope-all">
          Everything not yet refunded</label>
        <label class="choice"><input type="radio" value="lines" v-model="form.scope" data-testid="refund-scope-lines">
          Chosen items</label>
      </fieldset>
      <fieldset v-if="form.scope === 'lines'">
        <legend>Quantities to refund</legend>
        <div v-for="line in refundableLines" :key="line.product_id" class="field">
          <label :for="'refund-qty-' + uid + '-' + line.product_id">{{ line.name }} (up to {{ remaining(line) }})</label>
          <input :id="'refund-qty-' + uid + '-' + line.product_id" type="number" min="0" :max="remaining(line)" step="1"
                 inputmode="numeric" class="qty" v-model.number="form.quantities[line.product_id]"
                 :data-testid="'refund-qty-' + line.product_id"
                 :aria-invalid="errors['line-' + line.product_id] ? 'true' : null"
                 :aria-describedby="'refund-qty-error-' + uid + '-' + line.product_id">
          <p v-if="errors['line-' + line.product_id]" :id="'refund-qty-error-' + uid + '-' + line.product_id"
             role="alert" class="error">{{ errors['line-' + line.product_id] }}</p>
        </div>
        <p v-if="errors.lines" role="alert" class="error" data-testid="refund-lines-error">{{ errors.lines }}</p>
      </fieldset>
      <fieldset v-if="needsAccount" data-testid="refund-account">
        <legend>Refund to this bank account</legend>
        <div class="field">
          <label :for="'refund-holder-' + uid">Account holder</label>
          <input :id="'refund-holder-' + uid" v-model="form.account.holder" autocomplete="name" maxlength="16" data-testid="refund-holder"
                 :aria-invalid="errors.holder ? 'true' : null" :aria-describedby="'refund-holder-error-' + uid">
          <p v-if="errors.holder" :id="'refund-holder-error-' + uid" role="alert" class="error">{{ errors.holder }}</p>
        </div>
        <div class="field">
          <label :for="'refund-bank-' + uid">Bank</label>
          <select :id="'refund-bank-' + uid" v-model="form.account.bank" data-testid="refund-bank"
                  :aria-invalid="errors.bank ? 'true' : null" :aria-describedby="'refund-bank-error-' + uid">
            <option value="" disabled>Choose a bank</option>
            <option v-for="bank in banks" :key="bank.code" :value="bank.code">{{ bank.name }}</option>
          </select>
          <p v-if="errors.bank" :id="'refund-bank-error-' + uid" role="alert" class="error">{{ errors.bank }}</p>
        </div>
        <div class="field">
          <label :for="'refund-number-' + uid">Account number</label>
          <input :id="'refund-number-' + uid" v-model="form.account.number" inputmode="numeric" maxlength="32" data-testid="refund-number"
                 :aria-invalid="errors.number ? 'true' : null" :aria-describedby="'refund-number-error-' + uid">
          <p v-if="errors.number" :id="'refund-number-error-' + uid" role="alert" class="error">{{ errors.number }}</p>
        </div>
        <p v-if="errors.account" role="alert" class="error" data-testid="refund-account-error">{{ errors.account }}</p>
      </fieldset>
      <div class="actions">
        <button type="submit" :disabled="action.busy" :aria-busy="action.busy" data-testid="refund-submit">
          {{ action.busy ? 'Refunding…' : 'Refund' }}</button>
        <button type="button" class="secondary" :disabled="action.busy" @click="emit('cancel')">Close</button>
      </div>
      <p v-if="action.error" role="alert" class="error" data-testid="refund-error">{{ action.error }}</p>
    </form>`,
};
