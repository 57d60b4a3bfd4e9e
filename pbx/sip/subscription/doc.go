// Package subscription is the notifier side of SIP-specific event
// notification (RFC 6665) as the PBX offers it: the message-summary package
// (RFC 3842) for message-waiting lamps and the dialog package (RFC 4235) for
// busy-lamp fields. It keeps the subscriptions, decides their lifetimes and
// writes the NOTIFY bodies; pbx/sip speaks the protocol.
package subscription
