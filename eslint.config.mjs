// ESLint for the TypeScript sources (npm test runs it): the recommended rules of
// ESLint and typescript-eslint; formatting is Prettier's job.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", "toolchain/", "examples/", "tests/fixtures/", "dist/", ".pulumi-state/", ".sandbox*/"] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    rules: {
      // `_name` marks a parameter a signature requires but the body does not use.
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    // Tests read what Pulumi mocks and JSON reports hand over: untyped data by nature.
    files: ["tests/**/*.ts"],
    rules: { "@typescript-eslint/no-explicit-any": "off" },
  },
);
