// The app's only script: small progressive enhancements, no framework, nothing from a CDN.
"use strict";
