// The buyer's details I'mport passes to the PG (name, email and phone are required by most PGs).
const FIELDS = [
  { key: "name", label: "Name", type: "text", autocomplete: "name", required: true },
  { key: "email", label: "Email", type: "email", autocomplete: "email", required: true },
  { key: "tel", label: "Phone", type: "tel", autocomplete: "tel", required: true },
  { key: "addr", label: "Address (optional)", type: "text", autocomplete: "street-address", required: false },
  { key: "postcode", label: "Postcode (optional)", type: "text", autocomplete: "postal-code", required: false },
];

export default {
  props: {
    buyer: { type: Object, required: true },
    errors: { type: Object, required: true },
  },
  setup() {
    return { fields: FIELDS };
  },
  template: `
    <fieldset class="panel">
      <legend>Buyer</legend>
      <div v-for="field in fields" :key="field.key" class="field">
        <label :for="'buyer-' + field.key">{{ field.label }}</label>
        <input :id="'buyer-' + field.key" :type="field.type" :autocomplete="field.autocomplete"
               :required="field.required" v-model="buyer[field.key]" :data-testid="'buyer-' + field.key"
               :aria-invalid="errors[field.key] ? 'true' : null" :aria-describedby="'buyer-' + field.key + '-error'">
        <p v-if="errors[field.key]" :id="'buyer-' + field.key + '-error'" role="alert" class="error"
           :data-testid="'buyer-' + field.key + '-error'">{{ errors[field.key] }}</p>
      </div>
    </fieldset>`,
};
