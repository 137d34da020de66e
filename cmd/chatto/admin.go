package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"

	"golang.org/x/term"

	"github.com/chattocalls/chatto/chatto"
	"github.com/chattocalls/chatto/internal/config"
	"github.com/chattocalls/chatto/internal/host"
)

const adminUsage = `usage:
  chatto users add <id> [--name N] [--password-stdin]
  chatto users passwd <id> [--password-stdin]
  chatto users rm <id>
  chatto rooms add <id> --name N --kind group|direct --members a,b,c [--admins a]
  chatto rooms members <id> [--add u,v] [--rm u,v] [--admin u,v]
Each also takes -config path. They change the configured database directly;
a running server picks the change up within seconds.`

// admin runs "chatto users ..." and "chatto rooms ...".
func (c *cli) admin(ctx context.Context, cmd string, args []string) error {
	if len(args) == 0 || args[0] == "" || args[0][0] == '-' {
		fmt.Fprintln(c.stderr, adminUsage)
		return fmt.Errorf("chatto %s: want a subcommand", cmd)
	}
	sub, args := args[0], args[1:]
	name := "chatto " + cmd + " " + sub
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fs.Usage = func() { fmt.Fprintln(c.stderr, adminUsage) }
	path := fs.String("config", defaultConfigPath(), "path to chatto.toml (empty: defaults and CHATTO_* env only)")
	var (
		display       = fs.String("name", "", "display name")
		passwordStdin = fs.Bool("password-stdin", false, "read the password from the first line of standard input")
		kind          = fs.String("kind", chatto.RoomGroup, "room kind: group or direct")
		members       = fs.String("members", "", "comma-separated user ids")
		admins        = fs.String("admins", "", "comma-separated user ids who administer the room (default: the first member)")
		add           = fs.String("add", "", "comma-separated user ids to add")
		rm            = fs.String("rm", "", "comma-separated user ids to remove")
		promote       = fs.String("admin", "", "comma-separated user ids to make admins (added if not members)")
	)
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fmt.Fprintln(c.stderr, adminUsage)
		return fmt.Errorf("%s: want exactly one id, got %d arguments", name, len(pos))
	}
	id := pos[0]
	allowed := map[string][]string{
		"users add":     {"config", "name", "password-stdin"},
		"users passwd":  {"config", "password-stdin"},
		"users rm":      {"config"},
		"rooms add":     {"config", "name", "kind", "members", "admins"},
		"rooms members": {"config", "add", "rm", "admin"},
	}
	flags, ok := allowed[cmd+" "+sub]
	if !ok {
		fmt.Fprintln(c.stderr, adminUsage)
		return fmt.Errorf("unknown command %q", name)
	}
	var misplaced []string
	fs.Visit(func(f *flag.Flag) {
		if !slices.Contains(flags, f.Name) {
			misplaced = append(misplaced, "--"+f.Name)
		}
	})
	if len(misplaced) > 0 {
		return fmt.Errorf("%s does not take %s", name, strings.Join(misplaced, ", "))
	}

	cfg, err := config.Load(*path)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	opts := c.hostOpts
	if _, err := os.Stat(cfg.Database.Path); err == nil {
		// A server may be running on it: never upgrade its schema under
		// it (a new database, which no server uses yet, is created).
		opts = append(slices.Clone(opts), host.WithCurrentSchema())
	}
	h, err := host.Open(ctx, cfg.Database.Path, log, opts...)
	if err != nil {
		return err
	}
	defer h.Close()
	err = c.change(ctx, h, cmd+" "+sub, id, adminFlags{
		name: *display, passwordStdin: *passwordStdin, kind: *kind, members: *members, admins: *admins,
		add: *add, rm: *rm, promote: *promote,
	})
	if chatto.ErrorCode(err) != chatto.EINTERNAL {
		// A refusal (bad id, unknown user...) reads as its message.
		return fmt.Errorf("%s: %s", name, chatto.ErrorMessage(err))
	}
	return err
}

// adminFlags are the values of the admin commands' flags.
type adminFlags struct {
	name, kind, members, admins, add, rm, promote string
	passwordStdin                                 bool
}

// change makes the change an admin command asks for.
func (c *cli) change(ctx context.Context, h *host.Host, cmd, id string, f adminFlags) error {
	switch cmd {
	case "users add":
		pw, err := c.password(f.passwordStdin, "Password for "+id+": ")
		if err != nil {
			return err
		}
		if err := h.AddUser(ctx, id, f.name, pw); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "added user %s\n", id)
	case "users passwd":
		pw, err := c.password(f.passwordStdin, "New password for "+id+": ")
		if err != nil {
			return err
		}
		if err := h.SetPassword(ctx, id, pw); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "changed the password of %s; their sessions are ended\n", id)
	case "users rm":
		if err := h.RemoveUser(ctx, id); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "removed user %s\n", id)
	case "rooms add":
		if f.name == "" {
			return chatto.Errorf(chatto.EINVALID, "--name is required")
		}
		if err := h.AddRoom(ctx, id, f.name, f.kind, splitList(f.members), splitList(f.admins)); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "added %s room %s\n", f.kind, id)
	case "rooms members":
		if f.add != "" || f.rm != "" || f.promote != "" {
			if err := h.ChangeMembers(ctx, id, splitList(f.add), splitList(f.rm), splitList(f.promote)); err != nil {
				return err
			}
		}
		ms, err := h.Members(ctx, id)
		if err != nil {
			return err
		}
		for _, m := range ms {
			fmt.Fprintf(c.stdout, "%s\t%s\t%s\n", m.UserID, m.Role, m.Name)
		}
	}
	return nil
}

// password reads a new password: the first line of standard input with
// --password-stdin, else typed twice on the terminal without echo.
func (c *cli) password(fromStdin bool, prompt string) (string, error) {
	if fromStdin {
		line, err := bufio.NewReader(io.LimitReader(c.stdin, 4096)).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("read the password from standard input: %w", err)
		}
		pw := strings.TrimRight(line, "\r\n")
		return pw, host.CheckPassword(pw)
	}
	f, ok := c.stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return "", errors.New("standard input is not a terminal to ask for the password on; pipe it in with --password-stdin")
	}
	fmt.Fprint(c.stderr, prompt)
	first, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(c.stderr)
	if err != nil {
		return "", fmt.Errorf("read the password: %w", err)
	}
	if err := host.CheckPassword(string(first)); err != nil {
		return "", err
	}
	fmt.Fprint(c.stderr, "Again: ")
	again, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(c.stderr)
	if err != nil {
		return "", fmt.Errorf("read the password: %w", err)
	}
	if string(first) != string(again) {
		return "", errors.New("the passwords differ")
	}
	return string(first), nil
}

// parseInterleaved parses flags before, between and after positional
// arguments ("users add bob --name Bob" as well as "users add --name Bob
// bob"), which flag.Parse alone stops at.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
