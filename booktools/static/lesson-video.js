// Start the book's animations for readers who have not asked for reduced motion.
// The videos carry no autoplay attribute; this script is the only thing that starts them.
(function () {
  "use strict";
  function start() {
    var still = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    if (still) return;
    document.querySelectorAll("video[data-autoplay]").forEach(function (video) {
      video.muted = true;
      var playing = video.play();
      if (playing && playing.catch) playing.catch(function () {});
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
