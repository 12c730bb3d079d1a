import { Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { ConsoleCaller } from './console-auth.service';
import { readCookie } from './console-http';
import { layout, themeOf, type PageOptions } from './views/layout';

export const THEME_COOKIE = 'tessera-console-theme';

/** Renders a page in the caller's theme with the session's one-time message, then forgets it. */
@Injectable()
export class ConsoleView {
  page(request: FastifyRequest, caller: ConsoleCaller | undefined, options: Omit<PageOptions, 'theme' | 'caller' | 'flash' | 'back'>): string {
    const flash = caller?.session.flash;
    if (caller) caller.session.flash = undefined;
    return layout({ ...options, caller, flash, back: request.url, theme: themeOf(readCookie(request, THEME_COOKIE)) });
  }
}
