// Sets the saved colour mode before the page's first paint, so a reload in the dark theme
// never flashes white. Loaded in <head> (see components/early_theme.py); Dash's own
// persistence of the theme switch stores [value, original] under this key.
(function () {
  try {
    var saved = window.localStorage.getItem("_dash_persistence.theme-switch.value.true");
    if (saved && JSON.parse(saved)[0] === true) {
      document.documentElement.setAttribute("data-bs-theme", "dark");
    }
  } catch (error) {
    // no storage (private mode, blocked): the light theme, as without this script
  }
})();
