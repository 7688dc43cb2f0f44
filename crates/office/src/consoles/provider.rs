//! The provider's console: domains, mailboxes, conventions, subscriptions,
//! orders and payments, the job queue, the provider log and live counters,
//! for the provider's operators only.
