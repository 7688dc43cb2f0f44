-- Every subscription of an address, deleted ones included, by address: a new
-- subscription looks up the address's last holder (`store::lifecycle::last_holder`,
-- a deleted address may be bought again by the same holder only) and `history`
-- lists them. The partial index `subscriptions_live` cannot serve those queries,
-- which scanned the whole table: quadratic when many boxes are activated.
CREATE INDEX subscriptions_mailbox ON subscriptions(mailbox, id);
