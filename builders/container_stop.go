package builders

import (
	"context"
	"fmt"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"

	"github.com/bricklayer-build/bricklayer/engine"
)

// Stop removes the container, and with c.Volumes its state (the cache),
// and tells what it removed. Containers and volumes bricklayer did not
// make are left alone.
func (c Container) Stop(ctx context.Context) (string, error) {
	d, err := engine.New()
	if err != nil {
		return "", &noDaemon{err: err}
	}
	defer d.Close()
	removed, err := c.stop(ctx, d)
	if err != nil {
		return "", err // Docker not answering is NoDaemon, as everywhere
	}
	return "removed " + strings.Join(removed, " and "), nil
}

func (c Container) stop(ctx context.Context, d *engine.Client) ([]string, error) {
	if err := d.Ping(ctx); err != nil {
		return nil, err
	}
	var removed []string
	info, err := d.API.ContainerInspect(ctx, c.name(), client.ContainerInspectOptions{})
	switch {
	case err == nil:
		if info.Container.Config == nil || info.Container.Config.Labels[ownerLabel] == "" {
			return removed, fmt.Errorf("container %s was not made by bricklayer; leaving it alone", c.name())
		}
		if _, err := d.API.ContainerRemove(ctx, info.Container.ID, client.ContainerRemoveOptions{Force: true}); err != nil {
			return removed, fmt.Errorf("removing container %s: %w", c.name(), err)
		}
		removed = append(removed, "container "+c.name())
	case !cerrdefs.IsNotFound(err):
		return removed, fmt.Errorf("inspecting container %s: %w", c.name(), err)
	}
	// Probes a bootstrap killed mid-way (Ctrl-C twice) left behind.
	probes, err := d.API.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: client.Filters{}.Add("label", probeLabel+"="+c.name())})
	if err != nil {
		return removed, fmt.Errorf("listing the probe containers of %s: %w", c.name(), err)
	}
	for _, p := range probes.Items {
		if _, err := d.API.ContainerRemove(ctx, p.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true}); err != nil && !cerrdefs.IsNotFound(err) {
			return removed, fmt.Errorf("removing probe container %s: %w", p.ID, err)
		}
		removed = append(removed, "probe container "+strings.TrimPrefix(firstName(p.Names), "/"))
	}
	if c.Volumes {
		v, err := d.API.VolumeInspect(ctx, c.Volume(), client.VolumeInspectOptions{})
		switch {
		case err == nil:
			if v.Volume.Labels[ownerLabel] == "" {
				return removed, fmt.Errorf("volume %s was not made by bricklayer; leaving it alone", c.Volume())
			}
			if _, err := d.API.VolumeRemove(ctx, c.Volume(), client.VolumeRemoveOptions{}); err != nil {
				return removed, fmt.Errorf("removing volume %s: %w", c.Volume(), err)
			}
			removed = append(removed, "volume "+c.Volume())
		case !cerrdefs.IsNotFound(err):
			return removed, fmt.Errorf("inspecting volume %s: %w", c.Volume(), err)
		}
	}
	if len(removed) == 0 {
		return nil, fmt.Errorf("no builder container %s", c.name())
	}
	return removed, nil
}

func firstName(names []string) string {
	if len(names) == 0 {
		return "?"
	}
	return names[0]
}
