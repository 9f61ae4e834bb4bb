import { applyDecorators } from '@nestjs/common';
import { ApiQuery } from '@nestjs/swagger';

/** Documents the asOf / knownAt parameters every read model takes. */
export const ViewQuery = () =>
  applyDecorators(
    ApiQuery({ name: 'asOf', required: false, description: 'Only events that occurred on or before it (a bare date is the end of that day, UTC).' }),
    ApiQuery({ name: 'knownAt', required: false, description: 'Only events reported on or before it (a bare date is the end of that day, UTC).' }),
  );
