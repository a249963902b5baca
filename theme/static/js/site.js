// Progressive enhancement only: everything works without this file.
// Adds a "Copy" button to each citation, copying its plain-text form.
(function () {
  "use strict";
  function copy(text, button) {
    var done = function () {
      var label = button.textContent;
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = label; }, 1500);
    };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(done, function () {});
    }
  }
  document.querySelectorAll(".citation").forEach(function (figure) {
    var source = figure.querySelector("[data-copy-text]");
    var caption = figure.querySelector("figcaption");
    if (!source || !caption) { return; }
    var button = document.createElement("button");
    button.type = "button";
    button.className = "copy";
    button.textContent = "Copy";
    button.setAttribute("aria-label", "Copy the " + caption.textContent + " citation");
    button.addEventListener("click", function () { copy(source.getAttribute("data-copy-text"), button); });
    caption.appendChild(button);
  });
}());
