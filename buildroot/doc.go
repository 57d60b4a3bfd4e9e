// Package buildroot holds no code: it is the BR2_EXTERNAL tree that builds the
// firmware image (see README.md). Its test applies the rules of Buildroot's
// utils/check-package that matter for this tree, so CI lints it without a
// Buildroot checkout.
package buildroot
