"use strict";
// A meeting's form offers the leaders of the countries chosen on it: the leaders' search sends
// those countries along (`&country=IT&country=JP`), and the admin narrows its answer to them.
(function ($) {
  $.ajaxPrefilter(function (options) {
    if (typeof options.data !== "string" || !/(^|&)field_name=leaders(&|$)/.test(options.data)) {
      return;
    }
    ($("#id_countries").val() || []).forEach(function (code) {
      options.data += "&country=" + encodeURIComponent(code);
    });
  });
})(django.jQuery);
