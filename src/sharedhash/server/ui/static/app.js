// The review pages' one script (no inline scripts: the Content-Security-Policy forbids them).
// Keyboard first: every element with data-key="x" is clicked when x is pressed (outside text fields).
// Wellness: holding R, or pressing and holding on the media, reveals it gradually (CSS transition); V loads the
// full-size file (videos stay muted and paused until the person plays them).
(function () {
  "use strict";

  function media() { return document.getElementById("media"); }

  function reveal(on) {
    document.querySelectorAll(".media").forEach(function (box) { box.classList.toggle("revealing", on); });
  }

  // "Show only the matched frames": the frames of a quarantined video are fetched only when asked for.
  function onlyFrames() {
    var frames = document.getElementById("frames");
    if (!frames) { return; }
    frames.querySelectorAll("img[data-src]").forEach(function (img) {
      if (!img.getAttribute("src")) { img.src = img.dataset.src; }
    });
    frames.classList.add("shown");
    var box = media();
    if (box) { box.classList.add("hidden-by-frames"); }
  }

  // A proxied (or quarantined) video seeks to a matched second, muted and paused.
  function seek(second) {
    var el = document.getElementById("media-el");
    if (!el || el.tagName !== "VIDEO") { return; }
    fullSize();
    var go = function () { el.pause(); el.currentTime = second; };
    if (el.readyState >= 1) { go(); return; }
    el.preload = "metadata"; // "none" would never load the metadata a seek needs; it stays muted and paused
    el.addEventListener("loadedmetadata", go, { once: true });
    el.load();
  }

  function fullSize() {
    var box = media();
    if (!box || box.dataset.loaded === "full") { return; }
    var el = document.getElementById("media-el");
    if (!el) { return; }
    if (el.tagName === "VIDEO") {
      el.muted = true;
      el.autoplay = false;
      el.src = el.dataset.src;
      el.pause();
    } else {
      el.src = box.dataset.fullSrc;
    }
    box.dataset.loaded = "full";
  }

  function typing(target) {
    return target && target.closest && target.closest("input, textarea, select");
  }

  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || typing(ev.target)) { return; }
    var key = ev.key.toLowerCase();
    if (key === "r") { ev.preventDefault(); reveal(true); return; }
    if (ev.repeat) { return; }
    var el = document.querySelector('[data-key="' + key + '"]');
    if (el) { ev.preventDefault(); el.click(); }
  });
  document.addEventListener("keyup", function (ev) {
    if (ev.key.toLowerCase() === "r") { reveal(false); }
  });

  document.addEventListener("DOMContentLoaded", function () {
    var box = media();
    var full = document.getElementById("full-size");
    if (full) { full.addEventListener("click", fullSize); }
    var only = document.getElementById("only-frames");
    if (only) { only.addEventListener("click", onlyFrames); }
    document.querySelectorAll("button[data-seek]").forEach(function (b) {
      b.addEventListener("click", function () { seek(parseFloat(b.dataset.seek)); });
    });
    if (!box) { return; }
    document.querySelectorAll(".media").forEach(function (each) {
      ["mousedown", "touchstart"].forEach(function (name) {
        each.addEventListener(name, function (ev) { ev.preventDefault(); reveal(true); });
      });
      ["mouseup", "mouseleave", "touchend", "touchcancel"].forEach(function (name) {
        each.addEventListener(name, function () { reveal(false); });
      });
    });
    document.querySelectorAll("video").forEach(function (v) { v.muted = true; v.pause(); });
  });
}());
