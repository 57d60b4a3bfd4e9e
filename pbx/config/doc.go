// Package config loads the one YAML configuration file. Every key has a
// documented default (see Default), unknown keys are errors, and every error
// names the file, the line and the key.
package config
