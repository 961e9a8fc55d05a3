/* r2k-dash: repairs of ARIA that Dash's and dash-bootstrap-components' widgets get wrong, so
   screen readers and the keyboard can use them (each checked by axe-core in the tests):
   - the chart's tabs point aria-controls at a pane that does not exist ("...tabpane-null"),
     share one id and are both out of the Tab order: give them their own ids, no dangling
     reference, and a Tab stop each (Enter opens one, as a click does);
   - the date pickers' wrappers carry aria-expanded/aria-haspopup without a role that allows
     them (the input inside is the control);
   - the sector dropdowns keep an aria-hidden input in the Tab order. */
(function () {
  "use strict";

  function setAttr(element, name, value) {
    if (value === null) {
      if (element.hasAttribute(name)) element.removeAttribute(name);
    } else if (element.getAttribute(name) !== value) {
      element.setAttribute(name, value);
    }
  }

  function repair() {
    document.querySelectorAll("#chart-tabs [role='tab'], .r2k-tabs [role='tab']").forEach((tab, i) => {
      setAttr(tab, "aria-controls", null);
      setAttr(tab, "id", `chart-tab-${i}`);
      setAttr(tab, "tabindex", "0");
    });
    document.querySelectorAll(".dash-datepicker-input-wrapper").forEach((wrapper) => {
      setAttr(wrapper, "aria-expanded", null);
      setAttr(wrapper, "aria-haspopup", null);
    });
    document.querySelectorAll("input[aria-hidden='true'][tabindex='0']").forEach((input) => {
      setAttr(input, "tabindex", "-1");
    });
  }

  function start() {
    repair();
    new MutationObserver(repair).observe(document.body, {
      childList: true,
      subtree: true,
      attributes: true,
      attributeFilter: ["aria-controls", "aria-expanded", "tabindex"],
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
