// The buyer's details I'mport passes to the PG (name, email and phone are required by most PGs).
// Lengths are I'mport's Payment limits (buyer_name 16, buyer_tel 16, buyer_email 64, ...).
export const BUYER_FIELDS = Object.freeze([
  { key: "name", label: "Name", type: "text", autocomplete: "name", required: true, maxlength: 16 },
  { key: "email", label: "Email", type: "email", autocomplete: "email", required: true, maxlength: 64 },
  { key: "tel", label: "Phone", type: "tel", autocomplete: "tel", required: true, maxlength: 16 },
  { key: "addr", label: "Address (optional)", type: "text", autocomplete: "street-address", required: false, maxlength: 128 },
  { key: "postcode", label: "Postcode (optional)", type: "text", autocomplete: "postal-code", required: false, maxlength: 8 },
]);

export default {
  props: {
    buyer: { type: Object, required: true },
    errors: { type: Object, required: true },
  },
  setup() {
    return { fields: BUYER_FIELDS };
  },
  template: `
    <fieldset class="panel">
      <legend>Buyer</legend>
      <div v-for="field in fields" :key="field.key" class="field">
        <label :for="'buyer-' + field.key">{{ field.label }}</label>
        <input :id="'buyer-' + field.key" :type="field.type" :autocomplete="field.autocomplete"
               :required="field.required" :maxlength="field.maxlength" v-model="buyer[field.key]" :data-testid="'buyer-' + field.key"
               :aria-invalid="errors[field.key] ? 'true' : null" :aria-describedby="'buyer-' + field.key + '-error'">
        <p v-if="errors[field.key]" :id="'buyer-' + field.key + '-error'" role="alert" class="error"
           :data-testid="'buyer-' + field.key + '-error'">{{ errors[field.key] }}</p>
      </div>
    </fieldset>`,
};
