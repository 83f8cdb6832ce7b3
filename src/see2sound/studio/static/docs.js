// The studio's API in Swagger UI (served by the studio itself: no CDN).
// "Try it out" sends the page's token, as the studio's own page does (see see2sound.studio.guard).
"use strict";

const TOKEN = document.querySelector('meta[name="see2sound-token"]').content;

window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
  requestInterceptor: (request) => {
    request.headers["X-See2Sound-Token"] = TOKEN;
    return request;
  },
});
