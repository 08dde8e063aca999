// Resumable uploads (tus 1.0) for the portal's upload page, with a progress bar. A dropped connection is retried
// from the byte the server has; choosing the same file again later carries on where it stopped. Without this
// script the form posts the file in one piece.
(function () {
  "use strict";
  var PART = 4 * 1024 * 1024;
  var RETRY_SECONDS = [1, 2, 4, 8, 15, 30, 30, 30, 60, 60];
  var MB = 1024 * 1024;

  function megabytes(bytes) {
    return (Math.round(bytes / MB * 100) / 100).toLocaleString("en-US") + " MB";
  }

  function call(method, url, headers, body, onProgress) {
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      xhr.open(method, url);
      Object.keys(headers).forEach(function (name) { xhr.setRequestHeader(name, headers[name]); });
      if (onProgress && xhr.upload) xhr.upload.onprogress = onProgress;
      xhr.onload = function () { resolve(xhr); };
      xhr.onerror = xhr.ontimeout = xhr.onabort = function () { reject(new Error("network")); };
      xhr.send(body || null);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("upload-form");
    if (!form || !window.Promise || !window.Blob || !Blob.prototype.slice) return;
    var input = form.querySelector("input[type=file]");
    var error = document.getElementById("file-error");
    var box = document.getElementById("upload-progress");
    var bar = document.getElementById("upload-bar");
    var status = document.getElementById("upload-status");
    var button = form.querySelector("button");
    var plainHint = form.querySelector("[data-plain-hint]");
    var token = form.querySelector("input[name=csrf_token]").value;
    var limits = {
      document: Number(form.dataset.documentMax), video: Number(form.dataset.videoMax), left: Number(form.dataset.left)
    };
    var spoken = -1;
    if (plainHint) plainHint.textContent = "Big files are sent in pieces: if the connection drops, the upload carries on from where it stopped.";

    function headers(extra) {
      var all = {"Tus-Resumable": "1.0.0", "X-CSRFToken": token};
      Object.keys(extra || {}).forEach(function (name) { all[name] = extra[name]; });
      return all;
    }

    function busy(on) {
      button.disabled = on;
      input.disabled = on;
      box.hidden = !on && !bar.value;
    }

    function fail(message) {
      error.textContent = message;
      input.setAttribute("aria-invalid", "true");
      form.querySelector(".field").classList.add("has-error");
      status.textContent = "";
      busy(false);
      input.focus();
    }

    function show(sent, total) {
      var percent = Math.floor(sent / total * 100);
      bar.value = percent;
      if (percent >= spoken + 10 || sent === total) {
        spoken = percent - percent % 10;
        status.textContent = megabytes(sent) + " of " + megabytes(total) + " sent (" + percent + "%).";
      }
    }

    function tooLarge(file) {
      var video = /^video\//.test(file.type);
      var limit = file.type ? (video ? limits.video : limits.document) : Math.max(limits.video, limits.document);
      if (file.size > limit) {
        return "This file is " + megabytes(file.size) + "; the most this portal accepts for " +
          (video ? "a video" : "a document or photo") + " is " + megabytes(limit) + ".";
      }
      if (file.size > limits.left) {
        return "This file is " + megabytes(file.size) + ", but only " + megabytes(limits.left) + " of space is left.";
      }
      if (file.size === 0) return "This file is empty. Choose another file.";
      return null;
    }

    function offsetAt(url) {
      return call("HEAD", url, headers()).then(function (xhr) {
        return xhr.status === 200 ? Number(xhr.getResponseHeader("Upload-Offset")) : null;
      });
    }

    function create(file) {
      var name = unescape(encodeURIComponent(file.name));
      return call("POST", form.dataset.tus, headers({"Upload-Length": String(file.size),
        "Upload-Metadata": "filename " + btoa(name)})).then(function (xhr) {
        if (xhr.status !== 201) throw new Refusal(xhr.responseText);
        return xhr.getResponseHeader("Location");
      });
    }

    function Refusal(message) { this.message = message || "The upload was refused. Reload the page and try again."; }

    function send(upload, offset, tries) {
      var file = upload.file, end = Math.min(offset + PART, file.size);
      return call("PATCH", upload.url, headers({"Upload-Offset": String(offset),
        "Content-Type": "application/offset+octet-stream"}), file.slice(offset, end), function (event) {
        show(offset + event.loaded, file.size);
      }).then(function (xhr) {
        if (xhr.status === 204) {
          if (xhr.getResponseHeader("Porch-Document")) return true;
          return send(upload, Number(xhr.getResponseHeader("Upload-Offset")), 0);
        }
        if (xhr.status === 409 || xhr.status === 423) return later(upload, tries);
        throw new Refusal(xhr.responseText);
      }, function () {
        return later(upload, tries);
      });
    }

    function later(upload, tries) {
      if (tries >= RETRY_SECONDS.length) {
        throw new Refusal("The connection keeps dropping. Choose the same file again when you have a better " +
          "connection: the upload carries on from where it stopped.");
      }
      var wait = RETRY_SECONDS[tries];
      status.textContent = "Connection lost. Trying again in " + wait + " s…";
      return new Promise(function (resolve) { setTimeout(resolve, wait * 1000); }).then(function () {
        return offsetAt(upload.url);
      }).then(function (offset) {
        if (offset === null) throw new Refusal("This upload is gone. Choose the file again to start over.");
        return send(upload, offset, tries + 1);
      }, function () {
        return later(upload, tries + 1);
      });
    }

    form.addEventListener("submit", function (event) {
      var file = input.files && input.files[0];
      if (!file) return;
      event.preventDefault();
      error.textContent = "";
      input.removeAttribute("aria-invalid");
      var problem = tooLarge(file);
      if (problem) return fail(problem);
      var key = "porch-upload:" + [file.name, file.size, file.lastModified].join(":");
      var upload = {file: file, url: null};
      spoken = -1;
      busy(true);
      box.hidden = false;
      var known = null;
      try { known = window.localStorage.getItem(key); } catch (ignored) { known = null; }
      (known ? offsetAt(known).catch(function () { return null; }) : Promise.resolve(null)).then(function (offset) {
        if (offset !== null) {
          upload.url = known;
          return offset;
        }
        return create(file).then(function (url) {
          upload.url = url;
          try { window.localStorage.setItem(key, url); } catch (ignored) { /* private mode: no resuming later */ }
          return 0;
        });
      }).then(function (offset) {
        show(offset, file.size);
        return send(upload, offset, 0);
      }).then(function () {
        try { window.localStorage.removeItem(key); } catch (ignored) { /* nothing kept */ }
        status.textContent = "Uploaded.";
        window.location.assign(form.dataset.done);
      }, function (problem) {
        if (!(problem instanceof Refusal)) problem = new Refusal("The upload couldn't start. Check your connection and try again.");
        else if (!/Choose the same file again/.test(problem.message)) {
          try { window.localStorage.removeItem(key); } catch (ignored) { /* nothing kept */ }
        }
        fail(problem.message);
      });
    });
  });
})();
