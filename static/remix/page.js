// Behaviour every page shares that used to be written as inline handlers: the content security
// policy (remix/settings.py) allows scripts only from files, so it lives here.
document.addEventListener("submit", (event) => {
  // Forms driven by scripts (search, map filters) never submit the page.
  if (event.target.matches("form[data-no-submit]")) event.preventDefault();
});
document.addEventListener("click", (event) => {
  // Read-only fields to copy (service URLs) select their whole text on click.
  if (event.target.matches("input[data-select-on-click]")) event.target.select();
});
