/* r2k-dash: a completion picked from the ticker box's list (a click, or the arrow keys and
   Enter) charts that ticker at once. The box sends its value on Enter or when it loses
   focus (debounce=True), so that typing "AB" on the way to "ABC" draws nothing; a pick is an
   input event that is not typing (inputType "insertReplacementText"), and is sent as Enter
   would send it. */
(function () {
  "use strict";

  const BOX = "ticker-input"; // components/ids.py: TICKER_INPUT

  document.addEventListener(
    "input",
    (event) => {
      const box = event.target;
      if (!box || box.id !== BOX) return;
      const typing = event instanceof InputEvent && event.inputType !== "insertReplacementText";
      if (typing) return;
      box.dispatchEvent(new KeyboardEvent("keyup", { key: "Enter", bubbles: true }));
    },
    true,
  );
})();
