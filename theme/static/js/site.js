// Progressive enhancement only: everything works without this file.
// Adds a "Copy" button to each citation, copying its plain-text form.
(function () {
  "use strict";

  // A development build names the local server it was built for (SITEURL) in its
  // citations; served from another address, they name the page's own origin instead.
  // A published build (publishconf.py) has no data-local-build: its SITEURL stands.
  function rebaseCitations() {
    var section = document.querySelector("section.cite[data-local-build]");
    var permalink = section && section.querySelector(".permalink a");
    if (!permalink || !/^https?:$/.test(location.protocol)) { return; }
    var built = new URL(permalink.href).origin;
    var here = location.origin;
    if (built === here) { return; }
    var walker = document.createTreeWalker(section, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
      var node = walker.currentNode;
      if (node.nodeValue.indexOf(built) !== -1) {
        node.nodeValue = node.nodeValue.split(built).join(here);
      }
    }
    section.querySelectorAll("[href], [data-copy-text]").forEach(function (element) {
      ["href", "data-copy-text"].forEach(function (name) {
        var value = element.getAttribute(name);
        if (value && value.indexOf(built) !== -1) {
          element.setAttribute(name, value.split(built).join(here));
        }
      });
    });
  }
  rebaseCitations();

  // Without the Clipboard API (it needs a secure context: https or localhost),
  // copy through a hidden text area and the older copy command.
  function copyWithSelection(text) {
    var area = document.createElement("textarea");
    area.className = "copy-buffer";
    area.value = text;
    area.setAttribute("readonly", "");
    area.setAttribute("aria-hidden", "true");
    area.tabIndex = -1;
    document.body.appendChild(area);
    area.select();
    var copied = false;
    try {
      copied = document.execCommand("copy");
    } catch (error) {
      copied = false;
    }
    document.body.removeChild(area);
    return copied ? Promise.resolve() : Promise.reject(new Error("copy failed"));
  }

  function copy(text) {
    if (navigator.clipboard && navigator.clipboard.writeText && window.isSecureContext) {
      return navigator.clipboard.writeText(text).catch(function () {
        return copyWithSelection(text);
      });
    }
    return copyWithSelection(text);
  }

  document.querySelectorAll(".citation").forEach(function (figure) {
    var source = figure.querySelector("[data-copy-text]");
    var caption = figure.querySelector("figcaption");
    if (!source || !caption) { return; }
    var style = caption.textContent.trim();
    var button = document.createElement("button");
    button.type = "button";
    button.className = "copy";
    button.textContent = "Copy";
    button.setAttribute("aria-label", "Copy the " + style + " citation");
    // The button's name stays put; screen readers hear the outcome here.
    var status = document.createElement("span");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    var timer = null;
    function report(shown, spoken) {
      button.textContent = shown;
      status.textContent = spoken;
      clearTimeout(timer);
      timer = setTimeout(function () {
        button.textContent = "Copy";
        status.textContent = "";
      }, 2000);
    }
    button.addEventListener("click", function () {
      copy(source.getAttribute("data-copy-text")).then(
        function () { report("Copied", style + " citation copied"); },
        function () { report("Copy failed", "Could not copy: select the citation and copy it"); }
      );
    });
    caption.appendChild(button);
    caption.appendChild(status);
  });
}());
