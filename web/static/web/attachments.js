/* Click-to-Chat: files in a chat, as both the provider page and the agent console show and send them.
 *
 * Attachments(options) owns one chat's "Attach file" button, its drop zone and its uploads:
 *  - an upload is one POST /api/chats/<id>/attachments/ (multipart, field `file`) with progress; the
 *    server stores the file whole or not at all, so an upload cut by a dropped connection is simply
 *    marked failed, with "Try again" (the endpoint has no resume: the file is sent again whole);
 *  - refusals (type, size, count, a damaged file…) are said in plain words beside the file;
 *  - the stored file arrives as the chat's `event` entry `attachment`: `item(frame)` renders it for
 *    chatlog.js (name as text, size, status: "Being checked", then a download link, or "Not allowed");
 *  - `status(frame)` applies an `attachment.status` frame (the malware check finished); a replayed
 *    entry (`item` again for a seq already shown) refreshes the status too, so a verdict missed while
 *    disconnected still shows after the replay (`replayFrom()` says where a resume must start for that);
 *  - completion is announced once per upload, in one polite live region.
 * File names are PHI and user text: they only ever go in through textContent. Needs socket.js first.
 */
(function () {
  "use strict";

  var C = window.ClickChat;
  var el = C.el;
  var ACCEPT = "application/pdf,image/png,image/jpeg,image/heic,image/heif,image/tiff,.pdf,.png,.jpg,.jpeg,.heic,.heif,.tif,.tiff";
  var KINDS = { "application/pdf": "PDF", "image/png": "PNG image", "image/jpeg": "JPEG image", "image/tiff": "TIFF image" };

  function sizeText(bytes) {
    if (bytes < 1024) return bytes + " bytes";
    if (bytes < 1024 * 1024) return (bytes / 1024).toFixed(1) + " KB";
    return (bytes / (1024 * 1024)).toFixed(1) + " MB";
  }

  /** A refusal of the upload endpoint, in the words of the page. */
  function plainError(code, message, name, limits) {
    switch (code) {
      case "unsupported_type":
        return "\u201c" + name + "\u201d cannot be sent: only PDF, PNG, JPEG, HEIC and TIFF files are allowed.";
      case "too_large":
        return "\u201c" + name + "\u201d is too big: files can be at most " + limits.maxMb + " MB.";
      case "too_many_attachments":
        return "This chat already holds the most files it can (" + limits.maxFiles + "); no more can be added.";
      case "corrupt_file":
        return "\u201c" + name + "\u201d looks damaged and could not be read. Save it again and try once more.";
      case "image_too_large":
        return "\u201c" + name + "\u201d is too large a picture. Send a smaller picture or a PDF.";
      case "empty_file":
        return "\u201c" + name + "\u201d is empty.";
      case "invalid_name":
        return "The name of this file cannot be used. Rename the file and try again.";
      case "not_logged_in":
        return "Your session ended. Log in again to send files.";
      default:
        return message || "The file could not be sent. Try again.";
    }
  }

  /**
   * options: panel (the chat's panel, holding .attach, .attach-input, .uploads, .attach-announce and
   * .composer), chatId, limits {maxMb, maxFiles}, mine(role) -> bool, me (the reader's name).
   */
  function Attachments(options) {
    var self = this;
    this.o = options;
    this.panel = options.panel;
    this.uploads = options.panel.querySelector(".uploads");
    this.announcer = options.panel.querySelector(".attach-announce");
    this.input = options.panel.querySelector(".attach-input");
    this.button = options.panel.querySelector(".attach");
    this.checking = {}; // seq -> true while a shown file is being checked
    this.input.setAttribute("accept", ACCEPT);
    this.input.id = "attach-" + options.chatId;
    this.button.setAttribute("aria-describedby", "attach-hint-" + options.chatId);
    var hint = options.panel.querySelector(".attach-hint");
    hint.id = "attach-hint-" + options.chatId;
    hint.textContent = "PDF, PNG, JPEG, HEIC or TIFF, up to " + options.limits.maxMb + " MB each. You can also drop files here.";
    this.button.addEventListener("click", function () { self.input.click(); });
    this.input.addEventListener("change", function () {
      self.sendAll(self.input.files);
      self.input.value = "";
    });
    var zone = options.panel.querySelector(".composer");
    zone.addEventListener("dragover", function (event) {
      if (!event.dataTransfer || Array.prototype.indexOf.call(event.dataTransfer.types, "Files") < 0) return;
      event.preventDefault();
      zone.classList.add("dropping");
    });
    zone.addEventListener("dragleave", function () { zone.classList.remove("dropping"); });
    zone.addEventListener("drop", function (event) {
      zone.classList.remove("dropping");
      if (!event.dataTransfer || !event.dataTransfer.files.length) return;
      event.preventDefault();
      self.sendAll(event.dataTransfer.files);
    });
  }

  Attachments.prototype.say = function (text) {
    this.announcer.textContent = text;
  };

  Attachments.prototype.sendAll = function (files) {
    for (var i = 0; i < files.length; i++) this.send(files[i]);
  };

  /** One file: an upload row with progress, then gone once stored (the chat shows the file). */
  Attachments.prototype.send = function (file) {
    var self = this;
    var row = el("li", { className: "upload" });
    var name = el("span", { className: "upload-name", text: file.name });
    var bar = el("progress", { max: "100", value: "0", "aria-label": "Sending " + file.name });
    var state = el("span", { className: "upload-state", text: "Sending…" });
    var actions = el("span", { className: "upload-actions" });
    row.appendChild(name);
    row.appendChild(el("span", { className: "upload-size", text: " (" + sizeText(file.size) + ") " }));
    row.appendChild(bar);
    row.appendChild(state);
    row.appendChild(actions);
    this.uploads.appendChild(row);

    var fail = function (text) {
      row.classList.add("failed");
      bar.hidden = true;
      state.textContent = text;
      C.clear(actions);
      var retry = el("button", { type: "button", className: "small", text: "Try again",
        "aria-label": "Try again to send " + file.name });
      var remove = el("button", { type: "button", className: "small secondary", text: "Dismiss",
        "aria-label": "Dismiss " + file.name });
      retry.addEventListener("click", function () {
        var focus = self.panel.contains(document.activeElement);
        row.remove();
        self.send(file);
        if (focus) self.button.focus();
      });
      remove.addEventListener("click", function () {
        row.remove();
        self.button.focus();
      });
      actions.appendChild(retry);
      actions.appendChild(remove);
      self.say(text);
    };

    if (file.size > this.o.limits.maxMb * 1024 * 1024) {
      fail(plainError("too_large", "", file.name, this.o.limits)); // not sent at all: the server would refuse it
      return;
    }
    var xhr = new XMLHttpRequest();
    var cancel = el("button", { type: "button", className: "small secondary", text: "Cancel",
      "aria-label": "Cancel sending " + file.name, onclick: function () { xhr.abort(); } });
    actions.appendChild(cancel);
    xhr.open("POST", "/api/chats/" + this.o.chatId + "/attachments/");
    xhr.setRequestHeader("X-CSRFToken", C.csrfToken());
    xhr.upload.addEventListener("progress", function (event) {
      if (event.lengthComputable) bar.value = Math.round((event.loaded / event.total) * 100);
    });
    xhr.addEventListener("load", function () {
      var data;
      try {
        data = JSON.parse(xhr.responseText) || {};
      } catch (err) {
        data = {};
      }
      if (xhr.status === 201 && data.attachment) {
        row.remove();
        var result = data.attachment.status === "rejected" ? " It did not pass the malware check and cannot be downloaded."
          : data.attachment.status === "checking" ? " It is being checked for malware." : "";
        self.say(file.name + " was sent." + result);
        return;
      }
      var error = data.error || {};
      fail(plainError(error.code || (xhr.status === 403 ? "forbidden" : ""), error.message, file.name, self.o.limits));
    });
    xhr.addEventListener("error", function () {
      fail("The connection dropped while sending \u201c" + file.name + "\u201d; nothing was stored. Try again.");
    });
    xhr.addEventListener("abort", function () {
      fail("Sending \u201c" + file.name + "\u201d was cancelled; nothing was stored.");
    });
    var body = new FormData();
    body.append("file", file, file.name);
    xhr.send(body);
  };

  /** Where a resume must start so that files still being checked are replayed with their state now. */
  Attachments.prototype.replayFrom = function () {
    var seqs = Object.keys(this.checking).map(Number);
    return seqs.length ? Math.min.apply(null, seqs) - 1 : null;
  };

  /** The list item of an `attachment` entry (chatlog.js asks; null for other entries). */
  Attachments.prototype.item = function (frame) {
    if (frame.event !== "attachment") return null;
    var file = frame.attachment;
    var mine = this.o.mine(frame.sender_role);
    var who = mine && this.o.me && frame.sender === this.o.me ? "You" : frame.sender || "";
    var item = el("li", { className: "msg attachment " + (mine ? "mine" : "theirs") }, [
      el("span", { className: "meta" }, [el("span", { className: "who", text: who }), " ",
        el("time", { datetime: frame.at || "", text: C.clock(frame.at) })]),
      el("span", { className: "file" }),
    ]);
    if (!file || !file.name) {
      item.querySelector(".file").appendChild(el("span", { className: "body", text: frame.text }));
      return item;
    }
    item.setAttribute("data-attachment-id", file.id);
    this.render(item, file, frame.seq);
    return item;
  };

  /** Name, size and status of one file; a download link once it passed the check. */
  Attachments.prototype.render = function (item, file, seq) {
    var box = item.querySelector(".file");
    C.clear(box);
    var details = " (" + (KINDS[file.content_type] || file.content_type) + ", " + sizeText(file.size) + ")";
    if (file.status === "clean") {
      box.appendChild(el("a", { className: "file-link", href: file.url, download: "", text: file.name }));
      box.appendChild(el("span", { className: "file-size", text: details }));
      delete this.checking[seq];
    } else {
      box.appendChild(el("span", { className: "file-name", text: file.name }));
      box.appendChild(el("span", { className: "file-size", text: details }));
      var words = { checking: "Being checked for malware: it can be downloaded once the check passes.",
        rejected: "Not allowed: it did not pass the malware check and cannot be downloaded.",
        purged: "Removed under the retention policy." };
      box.appendChild(el("span", { className: "file-status " + file.status, text: words[file.status] || file.status }));
      if (file.status === "checking") this.checking[seq] = true;
      else delete this.checking[seq];
    }
    item.setAttribute("data-status", file.status);
    item.setAttribute("data-type", file.content_type || "");
    item.setAttribute("data-size", String(file.size || 0));
  };

  /** A replayed entry already shown: its file's state now. */
  Attachments.prototype.refresh = function (frame, list) {
    if (frame.event !== "attachment" || !frame.attachment || !frame.attachment.id) return;
    var item = list.querySelector("li[data-attachment-id='" + frame.attachment.id + "']");
    if (item && item.getAttribute("data-status") !== frame.attachment.status) this.render(item, frame.attachment, frame.seq);
  };

  /** `attachment.status`: the check of the file at `seq` finished. */
  Attachments.prototype.status = function (frame, list) {
    var item = list.querySelector("li[data-attachment-id='" + frame.attachment_id + "']");
    if (!item) return;
    var file = {
      id: frame.attachment_id, status: frame.status,
      name: (item.querySelector(".file-name, .file-link") || {}).textContent || "",
      url: "/api/attachments/" + frame.attachment_id + "/",
      content_type: item.getAttribute("data-type") || "",
    };
    file.size = Number(item.getAttribute("data-size") || 0);
    this.render(item, file, frame.seq);
    if (item.classList.contains("mine")) {
      this.say(file.name + (frame.status === "clean" ? " passed the malware check and can be downloaded."
        : " did not pass the malware check and cannot be downloaded."));
    }
  };

  /** The limits a page was rendered with (data-max-mb, data-max-files on its root element). */
  function attachmentLimits(root) {
    return { maxMb: Number(root.getAttribute("data-max-mb")) || 10, maxFiles: Number(root.getAttribute("data-max-files")) || 20 };
  }

  C.Attachments = Attachments;
  C.attachmentLimits = attachmentLimits;
  C.attachmentSize = sizeText;
})();
