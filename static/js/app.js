// The app's only script: small progressive enhancements, no framework, nothing from a CDN.
"use strict";

// On narrow screens the top navigation collapses behind its Menu button (static/css/app.css); the
// button shows or hides it. Without scripts the navigation stays open, so every page stays reachable.
(function () {
  const toggle = document.querySelector(".topnav .nav-toggle");
  if (!toggle) return;
  const header = toggle.closest(".topnav");
  toggle.addEventListener("click", function () {
    const open = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", String(open));
    header.classList.toggle("open", open);
  });

  // One section menu open at a time: opening one closes the others.
  const menus = header.querySelectorAll("details.menu");
  menus.forEach(function (menu) {
    menu.addEventListener("toggle", function () {
      if (!menu.open) return;
      menus.forEach(function (other) {
        if (other !== menu) other.open = false;
      });
    });
  });
})();
