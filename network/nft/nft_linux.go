package nft

import (
	"errors"
	"fmt"

	"github.com/google/nftables"
	"golang.org/x/sys/unix"
)

func apply(rs Ruleset) error { return applyWith(rs) }

func deleteTable(table string) error { return deleteWith(table) }

// applyWith is Apply on connections built with opts (tests pass
// nftables.WithNetNSFd to work inside their own network namespace).
func applyWith(rs Ruleset, opts ...nftables.ConnOption) error {
	rs, err := validate(rs)
	if err != nil {
		return err
	}
	if len(rs.Networks) == 0 {
		return deleteWith(rs.Table, opts...)
	}
	c, err := dial(rs.Table, opts)
	if err != nil {
		return err
	}
	defer closeLater(c)
	exists, err := tableExists(c, rs.Table)
	if err != nil {
		return err
	}
	if !exists {
		// Nothing to replace: a plain create leaves the kernel nothing to
		// destroy, and destroying is what costs (see closeLater). Losing
		// the race to a concurrent Apply means EEXIST; replace then.
		err = send(c, rs, false)
		if !errors.Is(err, unix.EEXIST) {
			return err
		}
	}
	return send(c, rs, true)
}

// dial opens one netlink socket for the whole Apply or Delete.
func dial(table string, opts []nftables.ConnOption) (*nftables.Conn, error) {
	c, err := nftables.New(append(opts, nftables.AsLasting())...)
	if err != nil {
		return nil, fmt.Errorf("nftables table %q: opening netlink: %w", table, err)
	}
	return c, nil
}

// closeLater closes the socket off the caller's path. After a batch that
// deleted anything, close(2) blocks until the kernel has freed it, an RCU
// grace period later (nf_tables flushes its destroy work on
// NETLINK_URELEASE): 5-15 ms here, which the engine can spend starting
// the container instead. A process exiting first just waits at exit.
func closeLater(c *nftables.Conn) {
	go func() { _ = c.CloseLasting() }()
}

func tableExists(c *nftables.Conn, name string) (bool, error) {
	_, err := c.ListTableOfFamily(name, nftables.TableFamilyINet)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, unix.ENOENT):
		return false, nil
	default:
		return false, fmt.Errorf("nftables table %q: %w", name, err)
	}
}

// send queues the whole table in one batch and commits it. replace puts
// "add table; delete table" first: the add makes the delete valid when
// the table is missing, and since the kernel commits a batch as one
// transaction, no packet and no concurrent Apply ever sees the table half
// built. Without replace the table is created exclusively. Only this
// table is touched, so other tables keep their rules and order.
func send(c *nftables.Conn, rs Ruleset, replace bool) error {
	t := &nftables.Table{Name: rs.Table, Family: nftables.TableFamilyINet}
	if replace {
		c.AddTable(t)
		c.DelTable(t)
		c.AddTable(t)
	} else {
		c.CreateTable(t)
	}
	bridges, elems := bridgeSet(t, rs.Networks)
	if err := c.AddSet(bridges, elems); err != nil {
		return fmt.Errorf("nftables table %q: set %s: %w", rs.Table, bridges.Name, err)
	}
	accept := nftables.ChainPolicyAccept
	for _, cs := range chainSpecs(rs, bridges) {
		ch := c.AddChain(&nftables.Chain{Name: cs.name, Table: t, Type: cs.typ,
			Hooknum: cs.hook, Priority: cs.prio, Policy: &accept})
		for _, r := range cs.rules {
			c.AddRule(&nftables.Rule{Table: t, Chain: ch, Exprs: r})
		}
	}
	if err := c.Flush(); err != nil {
		return fmt.Errorf("nftables table %q: applying %d networks, %d ports: %w",
			rs.Table, len(rs.Networks), len(rs.Ports), err)
	}
	return nil
}

// deleteWith removes the table. A missing table is found by asking first,
// not by an "add; delete" batch, which would leave the kernel an object
// to destroy (see closeLater).
func deleteWith(table string, opts ...nftables.ConnOption) error {
	if err := validTable(table); err != nil {
		return err
	}
	c, err := dial(table, opts)
	if err != nil {
		return err
	}
	defer closeLater(c)
	if exists, err := tableExists(c, table); err != nil || !exists {
		return err
	}
	t := &nftables.Table{Name: table, Family: nftables.TableFamilyINet}
	// Adding first keeps "delete a missing table" a no-op should another
	// process delete it between the question and this batch.
	c.AddTable(t)
	c.DelTable(t)
	if err := c.Flush(); err != nil {
		return fmt.Errorf("deleting nftables table %q: %w", table, err)
	}
	return nil
}
