// On a redirect page: go to the new address, keeping the paragraph anchor (#p2) if any.
(function () {
  "use strict";
  var link = document.getElementById("moved-to");
  if (link) { window.location.replace(link.href + window.location.hash); }
}());
