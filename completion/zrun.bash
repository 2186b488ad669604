# bash completion for zrun(8): commands, each command's options (read from
# its own --help, so they never fall behind the binary), container ids from
# `zrun list -q` and service names from `zrun service list`, both under the
# --root given on the line. Installed as
# /usr/share/bash-completion/completions/zrun.

# _zrun_run ARGS...: zrun with the line's global --root, errors hidden.
_zrun_run() {
	local zrun=${_zrun_cmd:-zrun}
	if [[ -n $_zrun_root ]]; then
		"$zrun" --root "$_zrun_root" "$@" 2>/dev/null
	else
		"$zrun" "$@" 2>/dev/null
	fi
}

_zrun_ids() { _zrun_run list -q; }
_zrun_services() { _zrun_run service list | awk 'NR > 1 && NF { print $1 }'; }

# The commands, from `zrun --help`'s list.
_zrun_commands() {
	"${_zrun_cmd:-zrun}" --help 2>/dev/null | awk '/^Commands:/ { on = 1; next } on && !NF { exit } on { print $1 }'
}

# The long options of one command (or of zrun itself: no argument).
_zrun_options() {
	"${_zrun_cmd:-zrun}" ${1:+"$1"} --help 2>/dev/null | grep -o -- '--[a-z][a-z-]*' | sort -u
}

_zrun() {
	local cur prev words cword
	if declare -F _init_completion >/dev/null; then
		_init_completion || return
	else
		cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
		words=("${COMP_WORDS[@]}") cword=$COMP_CWORD
	fi
	local _zrun_cmd=${words[0]} _zrun_root= i cmd= cmd_at=0

	# global options, up to the command word
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		--root) _zrun_root=${words[i + 1]}; ((i++)) ;;
		--root=*) _zrun_root=${words[i]#--root=} ;;
		--log | --log-format | --rootless | --criu) ((i++)) ;;
		-*) ;;
		*) cmd=${words[i]} cmd_at=$i; break ;;
		esac
	done

	if [[ -z $cmd ]]; then
		case $prev in
		--root) COMPREPLY=($(compgen -d -- "$cur")); return ;;
		--log) COMPREPLY=($(compgen -f -- "$cur")); return ;;
		--log-format) COMPREPLY=($(compgen -W "text json" -- "$cur")); return ;;
		esac
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "$(_zrun_options)" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$(_zrun_commands)" -- "$cur"))
		fi
		return
	fi

	# option values that are files, directories or fixed words
	case $prev in
	-b | --bundle | --cwd) COMPREPLY=($(compgen -d -- "$cur")); return ;;
	--pid-file | --console-socket | -p | --process | -r | --resources | --file)
		COMPREPLY=($(compgen -f -- "$cur")); return ;;
	--format | -f)
		[[ $cmd == logs ]] || { COMPREPLY=($(compgen -W "text table json" -- "$cur")); return; } ;;
	--restart) COMPREPLY=($(compgen -W "no on-failure always" -- "$cur")); return ;;
	--net) COMPREPLY=($(compgen -W "service own" -- "$cur")); return ;;
	--probe) COMPREPLY=($(compgen -W "accepting http: tcp exec: notify" -- "$cur")); return ;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$(_zrun_options "$cmd")" -- "$cur"))
		return
	fi

	# the positional arguments typed so far after the command (not options
	# nor the values of options that take one)
	local -a args=()
	for ((i = cmd_at + 1; i < cword; i++)); do
		case ${words[i]} in
		--*=*) ;;
		--format | -f | --file | --bundle | -b | --pid-file | --console-socket | --process | -p | \
		--resources | -r | --cwd | --env | -e | --user | -u | --cap | -c | --listen | --replicas | \
		--id | --restart | --probe* | --stop-signal | --grace-period | --net | --timeout | --tail | \
		--interval | -i | --service | --preserve-fds | --additional-gids | -g | --apparmor | \
		--process-label | --canary | --step | --reason) ((i++)) ;;
		-*) ;;
		*) args+=("${words[i]}") ;;
		esac
	done
	local n=${#args[@]}
	case $cmd in
	start | state | kill | delete | pause | resume | update | events | checkpoint | restore)
		((n == 0)) && COMPREPLY=($(compgen -W "$(_zrun_ids)" -- "$cur")) ;;
	exec | ps)
		((n == 0)) && COMPREPLY=($(compgen -W "$(_zrun_ids)" -- "$cur")) ;;
	swap)
		# swap --resume|--abort SERVICE; swap OLD NEW
		if [[ " ${words[*]} " == *" --resume "* || " ${words[*]} " == *" --abort "* ]]; then
			((n == 0)) && COMPREPLY=($(compgen -W "$(_zrun_services)" -- "$cur"))
		else
			((n < 2)) && COMPREPLY=($(compgen -W "$(_zrun_ids)" -- "$cur"))
		fi ;;
	create | run)
		((n == 1)) && COMPREPLY=($(compgen -d -- "$cur")) ;;
	deploy)
		if ((n == 0)); then
			COMPREPLY=($(compgen -W "$(_zrun_services)" -- "$cur"))
		elif ((n == 1)); then
			COMPREPLY=($(compgen -d -- "$cur"))
		fi ;;
	rollback | scale | promote | abort)
		((n == 0)) && COMPREPLY=($(compgen -W "$(_zrun_services)" -- "$cur")) ;;
	logs)
		((n == 0)) && COMPREPLY=($(compgen -W "$(_zrun_services) $(_zrun_ids)" -- "$cur")) ;;
	service)
		if ((n == 0)); then
			COMPREPLY=($(compgen -W "list status repair save restore restart" -- "$cur"))
		elif ((n == 1)); then
			case ${args[0]} in
			status | repair) COMPREPLY=($(compgen -W "$(_zrun_services)" -- "$cur")) ;;
			restart) COMPREPLY=($(compgen -W "$(_zrun_ids)" -- "$cur")) ;;
			esac
		fi ;;
	esac
	return 0
}

complete -F _zrun zrun
