{#- Daily loads on DuckDB: export files already read are not read again,
    staged rows are merged on their keys, and per-ticket models recompute
    only the tickets that new rows or the passing of time can change. The
    state lives in var('raw_schema').load_state: the batch number of each
    run, and per model the last batch it took in and the as-of instant of
    that run. -#}

{% macro incremental_loads_enabled() %}
    {{ return(var('incremental_loads') and target.type == 'duckdb') }}
{% endmacro %}

{% macro incremental_by(unique_key, per_ticket=false, per_customer=false) %}
    {#- Model config: incremental (delete+insert on unique_key) when daily
        loads are on, a table otherwise. A per-ticket model first drops the
        rows of every ticket the run recomputes (int_tickets_changed), a
        per-customer model those of every customer it recomputes
        (int_customers_changed), so that a ticket or customer that no longer
        yields a row loses its old one. When that key is part of unique_key
        the new rows are appended: they belong to those tickets or customers
        only, whose old rows are gone already. -#}
    {% if per_ticket and per_customer %}
        {{ exceptions.raise_compiler_error(
            "incremental_by: a model is per ticket or per customer, not both") }}
    {% endif %}
    {% if support_kpi.incremental_loads_enabled() %}
        {% set model_config = {
            'materialized': 'incremental',
            'unique_key': unique_key,
            'incremental_strategy': 'delete+insert',
            'on_schema_change': 'fail',
        } %}
        {% set unique_columns = [unique_key] if unique_key is string else unique_key %}
        {% for key, changed_model, applies in [
            ('ticket_id', 'int_tickets_changed', per_ticket),
            ('customer_id', 'int_customers_changed', per_customer),
        ] if applies %}
            {% do model_config.update({'pre_hook':
                "{% if is_incremental() %}delete from {{ this }} where " ~ key ~ " in"
                ~ " (select " ~ key ~ " from {{ ref('" ~ changed_model ~ "') }}){% endif %}"}) %}
            {% if key in unique_columns %}
                {% do model_config.update({'incremental_strategy': 'append'}) %}
            {% endif %}
        {% endfor %}
        {{ return(model_config) }}
    {% endif %}
    {{ return({'materialized': 'table'}) }}
{% endmacro %}

{% macro appended_incrementally() %}
    {#- Model config for the base models: rows of new export files are
        appended; files already read are left out by register_exports. -#}
    {% if support_kpi.incremental_loads_enabled() %}
        {{ return({
            'materialized': 'incremental',
            'incremental_strategy': 'append',
            'on_schema_change': 'fail',
        }) }}
    {% endif %}
    {{ return({'materialized': 'table'}) }}
{% endmacro %}

{% macro load_batch() %}
    {#- The batch number of this run for rows appended now; 0 for a full
        build. -#}
    {%- if is_incremental() -%}
        (select load_batch from {{ var('raw_schema') }}.load_run)
    {%- else -%}
        0
    {%- endif -%}
{% endmacro %}

{% macro load_watermark(model_name=none) %}
    {#- The last batch a model took in; -1 when none is recorded, so that
        rows of a full build (batch 0) count as not yet taken in. -#}
    (
        select coalesce(max(load_batch), -1)
        from {{ var('raw_schema') }}.load_state
        where model = '{{ model_name or this.name }}'
    )
{% endmacro %}

{% macro in_new_rows(base_relation, key) %}
    {#- On an incremental run of a staged model, keeps every version of the
        keys that rows new since the model's last batch bring, so that they
        are ranked again together with the versions read before. -#}
    {%- if is_incremental() -%}
        {{ key }} in (
            select new_rows.{{ key }}
            from {{ base_relation }} as new_rows
            where new_rows.load_batch > {{ support_kpi.load_watermark() }}
        )
    {%- else -%}
        true
    {%- endif -%}
{% endmacro %}

{% macro existing_model_relation(model_name) %}
    {#- A model of this project as it stands in the warehouse, read without
        ref() (a "changed" model reads its dependents' previous state), or
        none when it has not been built. -#}
    {% for node in graph.nodes.values()
        if node.resource_type == 'model' and node.name == model_name %}
        {{ return(adapter.get_relation(
            database=node.database, schema=node.schema, identifier=node.alias)) }}
    {% endfor %}
    {{ return(none) }}
{% endmacro %}

{% macro incremental_dependents(changed_model) %}
    {#- The incremental models that filter on a "changed" model (they declare
        depends_on it): each one's name and whether it has been built. -#}
    {% set dependents = [] %}
    {% for node in graph.nodes.values()
        if node.resource_type == 'model'
        and node.config.materialized == 'incremental'
        and ('model.' ~ project_name ~ '.' ~ changed_model) in node.depends_on.nodes %}
        {% do dependents.append({
            'name': node.name,
            'built': adapter.get_relation(
                database=node.database, schema=node.schema, identifier=node.alias) is not none,
        }) %}
    {% endfor %}
    {{ return(dependents) }}
{% endmacro %}

{% macro dependents_load_state(model_names) %}
    {#- What load_state records of the models named: how many have a batch,
        and the lowest and highest of their last batches and of those
        batches' as-of instants (as text). `in_step` is true when every one
        has a batch and all took the same one in, so that a run can go on
        from there; after a run that built some of them only (a failed test
        skipped the rest, or a selection), it is false. -#}
    {% set state = {'in_step': false, 'batch': -1, 'as_of_from': none, 'as_of_until': none} %}
    {% set load_state = adapter.get_relation(
        database=target.database, schema=var('raw_schema'), identifier='load_state') %}
    {% if load_state is none or not model_names %}{{ return(state) }}{% endif %}
    {% set row = run_query(
        "with last_batches as (select model, max(load_batch) as load_batch from "
        ~ load_state ~ " where model in ('" ~ model_names | join("', '") ~ "') group by model) "
        ~ "select count(*), min(last_batches.load_batch), max(last_batches.load_batch), "
        ~ "cast(min(state.as_of_at) as varchar), cast(max(state.as_of_at) as varchar) "
        ~ "from last_batches inner join " ~ load_state ~ " as state "
        ~ "on last_batches.model = state.model and last_batches.load_batch = state.load_batch"
    ).rows[0] %}
    {% do state.update({
        'in_step': row[0] == model_names | length and row[1] == row[2] and row[3] is not none,
        'batch': row[1] if row[1] is not none else -1,
        'as_of_from': row[3],
        'as_of_until': row[4],
    }) %}
    {{ return(state) }}
{% endmacro %}

{% macro in_changed_rows(changed_model, key, column) %}
    {#- On an incremental run, keeps the rows whose `column` is among the
        keys of `changed_model` (int_tickets_changed, int_customers_changed);
        true on a full build. The model must declare
        `-- depends_on: ref(changed_model)`. The filter is a correlated
        EXISTS, which DuckDB plans as a probe of the few changed keys (as
        `column in (select ...)`, a query that also joins the as-of instant
        got the whole filtered table hashed instead). So `column` must be
        qualified with its relation's alias: unqualified, it would name the
        changed keys' own column inside the EXISTS and keep every row. -#}
    {%- set inner_alias = 'changed_keys' %}
    {%- set column = column or '' %}
    {%- if '.' not in column or column.split('.')[0] == inner_alias -%}
        {{ exceptions.raise_compiler_error(
            "in_changed_rows: qualify the column with its relation's alias ('alias."
            ~ key ~ "'), not '" ~ column ~ "': unqualified (or qualified as "
            ~ inner_alias ~ "), it names the changed keys themselves and keeps every row") }}
    {%- endif -%}
    {%- if is_incremental() -%}
        exists (
            select 1
            from {{ ref(changed_model) }} as {{ inner_alias }}
            where {{ inner_alias }}.{{ key }} = {{ column }}
        )
    {%- else -%}
        true
    {%- endif -%}
{% endmacro %}

{% macro in_changed_tickets(column=none) %}
    {#- The tickets this run can change (int_tickets_changed). -#}
    {{ return(support_kpi.in_changed_rows('int_tickets_changed', 'ticket_id', column)) }}
{% endmacro %}

{% macro in_changed_customers(column=none) %}
    {#- The customers this run can change (int_customers_changed). -#}
    {{ return(support_kpi.in_changed_rows('int_customers_changed', 'customer_id', column)) }}
{% endmacro %}

{% macro retention_recompute_from() %}
    {#- On a daily load of int_retention_periods_counted: the earliest day
        whose customer activity can have changed, as a SQL date expression.
        A day before the earliest created_at of any version of an order with
        rows new since the model's last batch (its purchase may have come,
        gone, moved to another customer or changed date), and a day before
        the previous and the current as-of instants (orders placed between
        them enter or leave the purchases, and the running period's end
        moves); the day before absorbs the reporting time zone. Before the
        model's first batch every order counts as new. -#}
    (
        select cast(min(changes.changed_at) as date)
        from (
            select {{ dbt.dateadd('day', -1, 'order_versions.created_at') }} as changed_at
            from {{ ref('base_shop__orders') }} as order_versions
            where order_versions.order_id in (
                select new_rows.order_id
                from {{ ref('base_shop__orders') }} as new_rows
                where new_rows.load_batch > {{ support_kpi.load_watermark() }}
            )
            union all
            select {{ dbt.dateadd('day', -1, 'state.as_of_at') }} as changed_at
            from {{ var('raw_schema') }}.load_state as state
            where
                state.model = '{{ this.name }}'
                and state.load_batch = {{ support_kpi.load_watermark() }}
            union all
            select {{ dbt.dateadd('day', -1, 'as_of.as_of_at') }} as changed_at
            from {{ ref('int_build_as_of') }} as as_of
        ) as changes
    )
{% endmacro %}

{% macro prepare_load_state() %}
    {#- On-run-start (DuckDB): the state table, cleared by --full-refresh,
        and this run's batch number. -#}
    {% if not execute or not support_kpi.incremental_loads_enabled() %}{{ return('') }}{% endif %}
    {% set raw_schema = var('raw_schema') %}
    {% do run_query('create schema if not exists ' ~ raw_schema) %}
    {% do run_query(
        'create table if not exists ' ~ raw_schema ~ '.load_state'
        ~ ' (model varchar, load_batch integer, as_of_at timestamp)') %}
    {% if flags.FULL_REFRESH %}
        {% do run_query('delete from ' ~ raw_schema ~ '.load_state') %}
    {% endif %}
    {% set batch = run_query(
        'select coalesce(max(load_batch), 0) + 1 from ' ~ raw_schema ~ '.load_state'
        ).columns[0].values()[0] %}
    {% do run_query(
        'create or replace view ' ~ raw_schema ~ '.load_run as select '
        ~ batch ~ ' as load_batch') %}
    {{ return('') }}
{% endmacro %}

{% macro loaded_export_files(model_name) %}
    {#- Export files an incremental base model has already read: none on a
        full refresh or before its first build. -#}
    {#- Only a build or run appends; other commands (source freshness,
        show, compile) see every file. -#}
    {% if flags.FULL_REFRESH or not support_kpi.incremental_loads_enabled()
        or flags.WHICH not in ('build', 'run') %}
        {{ return([]) }}
    {% endif %}
    {% set relation = adapter.get_relation(
        database=target.database,
        schema=generate_schema_name('staging', none),
        identifier=model_name) %}
    {% if relation is none %}{{ return([]) }}{% endif %}
    {% set found = run_query('select distinct source_file from ' ~ relation) %}
    {{ return(found.columns[0].values() | list) }}
{% endmacro %}

{% macro record_load_state(results) %}
    {{ return(adapter.dispatch('record_load_state', 'support_kpi')(results)) }}
{% endmacro %}

{% macro default__record_load_state(results) %}
    {{ return('') }}
{% endmacro %}

{% macro duckdb__record_load_state(results) %}
    {#- On-run-end: each incremental model built in this run has taken in
        this run's batch, as of this run's as-of instant. -#}
    {% if not execute or not support_kpi.incremental_loads_enabled() %}{{ return('') }}{% endif %}
    {% set raw_schema = var('raw_schema') %}
    {% set as_of_relation = adapter.get_relation(
        database=target.database,
        schema=generate_schema_name('intermediate', none),
        identifier='int_build_as_of') %}
    {% set as_of_sql = ('(select max(as_of_at) from ' ~ as_of_relation ~ ')')
        if as_of_relation is not none else 'cast(null as timestamp)' %}
    {% for result in results
        if result.node.resource_type == 'model'
        and result.status == 'success'
        and result.node.config.materialized == 'incremental' %}
        {% do run_query(
            'insert into ' ~ raw_schema ~ '.load_state select '
            ~ "'" ~ result.node.name ~ "', (select load_batch from " ~ raw_schema ~ '.load_run), '
            ~ as_of_sql) %}
    {% endfor %}
    {{ return('') }}
{% endmacro %}
