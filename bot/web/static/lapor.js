/* /lapor: focus the contact field chosen, and the error summary when the form comes back with errors. */
(function () {
  "use strict";
  var focusContact = function () {
    var v = (document.querySelector("input[name=contact]:checked") || {}).value;
    if (v === "email") { document.getElementById("email").focus(); }
    if (v === "sms") { document.getElementById("phone").focus(); }
  };
  Array.prototype.forEach.call(document.querySelectorAll("input[name=contact]"), function (r) {
    r.addEventListener("change", focusContact);
  });
  var e = document.getElementById("error-summary");
  if (e) { e.focus(); }
})();
