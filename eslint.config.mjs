// ESLint flat config for the page scripts (web/static/web): plain browser scripts, no modules,
// no build step; each file is an IIFE that reads and extends window.ClickChat.
import js from "@eslint/js";
import globals from "globals";

export default [
  { ignores: ["node_modules/**", "staticfiles/**", ".venv/**", "bench/**", "docs/**"] },
  js.configs.recommended,
  {
    files: ["web/static/web/**/*.js"],
    languageOptions: {
      ecmaVersion: 2020,
      sourceType: "script",
      globals: { ...globals.browser },
    },
    rules: {
      "no-unused-vars": ["error", { args: "none", caughtErrors: "none" }],
      "no-var": "off", // the pages are ES5-style on purpose: they run as written, without a build
      eqeqeq: ["error", "always"],
      strict: ["error", "function"],
      "no-implicit-globals": "error",
      "no-shadow": "error",
      "no-use-before-define": ["error", { functions: false, variables: false }],
      curly: ["error", "multi-line"],
    },
  },
];
