// Refuse a delivery file over the size limit before sending it: the form stays as it is filled in.
const form = document.getElementById("upload-form");
const input = form && form.querySelector("input[type=file][data-max-bytes]");
if (input) form.addEventListener("submit", function (event) {
  const file = input.files && input.files[0];
  if (!file || file.size <= Number(input.dataset.maxBytes)) return;
  event.preventDefault();
  let note = form.querySelector('.field-error[data-field="file"]');
  if (!note) {
    note = document.createElement("div");
    note.className = "field-error";
    note.dataset.field = "file";
    input.insertAdjacentElement("afterend", note);
  }
  note.textContent = input.dataset.tooBig;
});
